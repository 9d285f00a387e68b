package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/falcosecurity/plugin-sdk-go/pkg/loader"
	"github.com/falcosecurity/plugin-sdk-go/pkg/sdk/plugins"
)

// apiVersion is a plugin API version, major.minor.patch.
type apiVersion struct{ major, minor, patch uint64 }

var apiVersionPattern = regexp.MustCompile(`^(\d+)\.(\d+)\.(\d+)$`)

func parseAPIVersion(text string) (apiVersion, error) {
	m := apiVersionPattern.FindStringSubmatch(text)
	if m == nil {
		return apiVersion{}, fmt.Errorf("%q is not a major.minor.patch version", text)
	}
	var v [3]uint64
	for i := range v {
		n, err := strconv.ParseUint(m[i+1], 10, 32)
		if err != nil {
			return apiVersion{}, fmt.Errorf("%q is not a major.minor.patch version", text)
		}
		v[i] = n
	}
	return apiVersion{v[0], v[1], v[2]}, nil
}

func (v apiVersion) String() string {
	return fmt.Sprintf("%d.%d.%d", v.major, v.minor, v.patch)
}

// supports is the framework's rule for a plugin's required API: the same major, and no newer minor or patch.
func (v apiVersion) supports(required apiVersion) bool {
	if v.major != required.major {
		return false
	}
	return required.minor < v.minor || (required.minor == v.minor && required.patch <= v.patch)
}

type pluginLoader struct {
	falcoVersion string
	falcoAPI     apiVersion
	loaderAPI    apiVersion
	pluginsDir   string
}

type loadedPlugin struct {
	plugin     *loader.Plugin
	info       *plugins.Info
	path       string
	initConfig string
}

// load opens a plugin library with the upstream loader and accepts it only where Falco would.
func (l pluginLoader) load(c pluginConfig) (*loadedPlugin, error) {
	path := c.LibraryPath
	if !filepath.IsAbs(path) {
		path = filepath.Join(l.pluginsDir, path)
	}
	initConfig, err := initConfigString(&c.InitConfig)
	if err != nil {
		return nil, fmt.Errorf("plugin %q: init_config: %w", c.Name, err)
	}
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("plugin %q: library %s not found", c.Name, path)
		}
		return nil, fmt.Errorf("plugin %q: cannot read library %s: %w", c.Name, path, unwrapPathError(err))
	}
	p, err := loader.NewPlugin(path)
	if err != nil {
		return nil, fmt.Errorf("plugin %q: cannot load %s: %w", c.Name, path, err)
	}
	loaded := &loadedPlugin{plugin: p, info: p.Info(), path: path, initConfig: initConfig}
	if err := l.accept(c, loaded); err != nil {
		p.Unload()
		return nil, err
	}
	return loaded, nil
}

func (l pluginLoader) accept(c pluginConfig, p *loadedPlugin) error {
	required, err := parseAPIVersion(p.info.RequiredAPIVersion)
	if err != nil {
		// A library without the symbol is no plugin at all; the loader says so in its own words.
		if invalid := p.plugin.Validate(); invalid != nil {
			return fmt.Errorf("plugin %q: %s is not a plugin Falco can load: %w", c.Name, p.path, invalid)
		}
		return fmt.Errorf("plugin %q: %s states no usable required plugin API version: %w", c.Name, p.path, err)
	}
	if !l.falcoAPI.supports(required) {
		why := "a newer Falco"
		if required.major != l.falcoAPI.major {
			why = fmt.Sprintf("a Falco with plugin API %d.x", required.major)
		}
		return fmt.Errorf("plugin %q: %s requires plugin API %s, which Falco %s (plugin API %s) does not support; it needs %s",
			c.Name, p.path, required, l.falcoVersion, l.falcoAPI, why)
	}
	if !l.loaderAPI.supports(required) {
		return fmt.Errorf("plugin %q: %s requires plugin API %s: Falco %s supports it, but the upstream loader this stand-in is built with stops at %s",
			c.Name, p.path, required, l.falcoVersion, l.loaderAPI)
	}
	// The loader's own checks: the required exports, and at least one capability implemented consistently.
	if err := p.plugin.Validate(); err != nil {
		return fmt.Errorf("plugin %q: %s is not a plugin Falco can load: %w", c.Name, p.path, err)
	}
	if p.plugin.HasCapBroken() {
		return fmt.Errorf("plugin %q: %s has broken capabilities: %w", c.Name, p.path, p.plugin.CapBrokenError())
	}
	// Falco keys a plugin's configuration by the name the plugin gives itself.
	if p.info.Name != c.Name {
		return fmt.Errorf("plugin %q: %s calls itself %q", c.Name, p.path, p.info.Name)
	}
	return nil
}

func (p *loadedPlugin) init() error {
	if err := p.plugin.Init(p.initConfig); err != nil {
		return fmt.Errorf("plugin %q: init with init_config %s failed: %w", p.info.Name, quoteInitConfig(p.initConfig), err)
	}
	return nil
}

// capabilities names what the loader tells apart: event sourcing and field extraction.
func capabilities(p *loadedPlugin) []string {
	var caps []string
	if p.plugin.HasCapSourcing() {
		if p.info.ID != 0 {
			caps = append(caps, fmt.Sprintf("event sourcing (ID %d, source %s)", p.info.ID, p.info.EventSource))
		} else {
			caps = append(caps, "event sourcing (syscall source)")
		}
	}
	if p.plugin.HasCapExtraction() {
		caps = append(caps, fmt.Sprintf("field extraction (%d fields)", len(p.plugin.Fields())))
	}
	if len(caps) == 0 {
		caps = append(caps, "parsing, async events or capture listening")
	}
	return caps
}

// describe writes a plugin's static information the way falco --list-plugins lays it out.
func describe(w io.Writer, p *loadedPlugin) {
	fmt.Fprintf(w, "Name: %s\nDescription: %s\nContact: %s\nVersion: %s\nRequired API version: %s\nLibrary: %s\nCapabilities:\n",
		p.info.Name, p.info.Description, p.info.Contact, p.info.Version, p.info.RequiredAPIVersion, p.path)
	for _, c := range capabilities(p) {
		fmt.Fprintf(w, "  - %s\n", c)
	}
	fmt.Fprintln(w)
}
