// Command falco is the Falco stand-in of the falco-airgap test fixtures. It does what matters for plugin
// delivery the way Falco does it: read falco.yaml, load every plugin load_plugins selects with the upstream
// plugin loader, refuse plugins whose required plugin API the Falco release does not support, initialise each
// with its init_config, check the rules files, and report what loaded. Any refusal exits 1 with a one-line
// reason on stderr. With webserver.enabled it then serves Falco's health endpoint, as Falco does.
//
// usage: falco [-c FILE] [--dry-run] [--list-plugins] [--version] [other arguments are printed and ignored]
// Without --dry-run it then waits for SIGTERM/SIGINT like a running Falco.
package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Set at build time (-ldflags -X) so that the fixtures state each of them in one place.
var (
	falcoVersion    string // the Falco release this stands in for, e.g. 0.44.1
	falcoPluginAPI  string // the plugin API version that release ships, e.g. 3.12.0
	loaderPluginAPI string // the plugin API version of the pinned loader's plugin_api.h
)

const (
	pluginsDir    = "/usr/share/falco/plugins"
	defaultConfig = "/etc/falco/falco.yaml"
)

type options struct {
	configPath  string
	dryRun      bool
	version     bool
	listPlugins bool
}

func main() {
	os.Exit(run(os.Args, os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	// Tests read this line to prove an entrypoint passed the original arguments through.
	fmt.Fprintf(stdout, "falco-standin %s: argv: %s\n", falcoVersion, strings.Join(args, " "))
	if err := standIn(args, stdout); err != nil {
		fmt.Fprintf(stderr, "falco-standin: error: %s\n", oneLine(err.Error()))
		return 1
	}
	return 0
}

func standIn(args []string, stdout io.Writer) error {
	falcoAPI, err := parseAPIVersion(falcoPluginAPI)
	if err != nil {
		return fmt.Errorf("built without a valid Falco plugin API version (%q)", falcoPluginAPI)
	}
	loaderAPI, err := parseAPIVersion(loaderPluginAPI)
	if err != nil {
		return fmt.Errorf("built without a valid loader plugin API version (%q)", loaderPluginAPI)
	}
	opts, err := parseArgs(args)
	if err != nil {
		return err
	}
	if opts.version {
		fmt.Fprintf(stdout, "Falco version: %s (falco-airgap stand-in)\nPlugin API:    %s\n", falcoVersion, falcoPluginAPI)
		return nil
	}

	cfg, err := readConfig(opts.configPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "falco-standin: config %s\n", opts.configPath)
	selected, err := cfg.selectedPlugins()
	if err != nil {
		return err
	}
	pl := pluginLoader{falcoVersion: falcoVersion, falcoAPI: falcoAPI, loaderAPI: loaderAPI, pluginsDir: pluginsDir}

	var loaded []*loadedPlugin
	defer func() {
		for _, p := range loaded {
			p.plugin.Unload()
		}
	}()

	if opts.listPlugins {
		// Like Falco: load (no init) and describe every selected plugin, then exit.
		var listing strings.Builder
		for _, c := range selected {
			p, err := pl.load(c)
			if err != nil {
				return err
			}
			loaded = append(loaded, p)
			describe(&listing, p)
		}
		fmt.Fprintf(stdout, "%d Plugins Loaded:\n\n%s", len(selected), listing.String())
		return nil
	}

	for _, c := range selected {
		p, err := pl.load(c)
		if err != nil {
			return err
		}
		loaded = append(loaded, p)
		if err := p.init(); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "falco-standin: loaded plugin %s %s (required API %s) from %s; capabilities: %s\n",
			p.info.Name, p.info.Version, p.info.RequiredAPIVersion, p.path, strings.Join(capabilities(p), ", "))
		fmt.Fprintf(stdout, "falco-standin: initialised plugin %s with init_config %s\n", p.info.Name, quoteInitConfig(p.initConfig))
	}

	rules, err := resolveRulesFiles(cfg.rulesFiles())
	if err != nil {
		return err
	}
	if len(rules) == 0 {
		fmt.Fprintln(stdout, "falco-standin: no rules files configured")
	}
	for _, r := range rules {
		fmt.Fprintf(stdout, "falco-standin: rules file %s\n", r)
	}

	if opts.dryRun {
		return nil
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	if cfg.Webserver.Enabled {
		web, err := startWebserver(cfg.Webserver)
		if err != nil {
			return err
		}
		defer web.stop()
		fmt.Fprintf(stdout, "falco-standin: webserver serving %s\n", web)
	}
	fmt.Fprintln(stdout, "falco-standin: running; stop with SIGTERM")
	<-stop
	fmt.Fprintln(stdout, "falco-standin: stopping")
	return nil
}

func parseArgs(args []string) (options, error) {
	opts := options{configPath: defaultConfig}
	for i := 1; i < len(args); i++ {
		switch arg := args[i]; {
		case arg == "-c":
			if i+1 == len(args) {
				return opts, fmt.Errorf("-c needs a file")
			}
			i++
			opts.configPath = args[i]
		case strings.HasPrefix(arg, "-c="):
			opts.configPath = strings.TrimPrefix(arg, "-c=")
		case arg == "--dry-run":
			opts.dryRun = true
		case arg == "--version":
			opts.version = true
		case arg == "--list-plugins":
			opts.listPlugins = true
		}
	}
	return opts, nil
}

func quoteInitConfig(config string) string {
	if config == "" {
		return `""`
	}
	return config
}

// A reason is one line on stderr, whatever the loader or a plugin put into it.
func oneLine(text string) string {
	return strings.Join(strings.Fields(text), " ")
}
