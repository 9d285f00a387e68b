package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// The keys of falco.yaml the stand-in acts on; every other key is accepted and ignored.
type falcoConfig struct {
	Plugins     []pluginConfig  `yaml:"plugins"`
	LoadPlugins *[]string       `yaml:"load_plugins"`
	RulesFiles  *stringList     `yaml:"rules_files"`
	RulesFile   *stringList     `yaml:"rules_file"`
	Webserver   webserverConfig `yaml:"webserver"`
}

type pluginConfig struct {
	Name        string `yaml:"name"`
	LibraryPath string `yaml:"library_path"`
	// A string, or a YAML object that Falco hands to the plugin as JSON.
	InitConfig yaml.Node `yaml:"init_config"`
	OpenParams string    `yaml:"open_params"`
}

// stringList reads a sequence of strings, or a single string as a one-item sequence.
type stringList []string

func (l *stringList) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind == yaml.ScalarNode {
		*l = stringList{node.Value}
		return nil
	}
	var items []string
	if err := node.Decode(&items); err != nil {
		return err
	}
	*l = items
	return nil
}

func readConfig(path string) (*falcoConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read config %s: %w", path, unwrapPathError(err))
	}
	var cfg falcoConfig
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("config %s is not a valid falco.yaml: %w", path, err)
	}
	for i, p := range cfg.Plugins {
		if p.Name == "" {
			return nil, fmt.Errorf("config %s: plugins[%d] has no name", path, i)
		}
		if p.LibraryPath == "" {
			return nil, fmt.Errorf("config %s: plugin %q has no library_path", path, p.Name)
		}
	}
	return &cfg, nil
}

// selectedPlugins applies Falco's rule: without load_plugins every configured plugin loads, in the order of
// plugins; with it, exactly the named ones in its order, and a name without an entry is an error.
func (c *falcoConfig) selectedPlugins() ([]pluginConfig, error) {
	if c.LoadPlugins == nil {
		return c.Plugins, nil
	}
	selected := make([]pluginConfig, 0, len(*c.LoadPlugins))
	for _, name := range *c.LoadPlugins {
		found := false
		for _, p := range c.Plugins {
			if p.Name == name {
				selected = append(selected, p)
				found = true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("load_plugins names %q but plugins: has no entry with that name", name)
		}
	}
	return selected, nil
}

// rulesFiles prefers rules_files and falls back to the older rules_file key.
func (c *falcoConfig) rulesFiles() []string {
	if c.RulesFiles != nil {
		return *c.RulesFiles
	}
	if c.RulesFile != nil {
		return *c.RulesFile
	}
	return nil
}

// initConfigString is what the plugin's init receives: a string as written, an object or list as JSON.
func initConfigString(node *yaml.Node) (string, error) {
	switch {
	case node.Kind == 0 || (node.Kind == yaml.ScalarNode && node.Tag == "!!null"):
		return "", nil
	case node.Kind == yaml.ScalarNode:
		return node.Value, nil
	}
	var value any
	if err := node.Decode(&value); err != nil {
		return "", err
	}
	encoded, err := json.Marshal(value)
	if err != nil {
		return "", fmt.Errorf("cannot turn init_config into JSON: %w", err)
	}
	return string(encoded), nil
}

// resolveRulesFiles expands directories into their YAML files in name order, as Falco does; a path that cannot
// be read stops Falco, and so it stops the stand-in.
func resolveRulesFiles(paths []string) ([]string, error) {
	var files []string
	for _, path := range paths {
		info, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("could not open rules file %s: %w", path, unwrapPathError(err))
		}
		if !info.IsDir() {
			if err := readable(path); err != nil {
				return nil, err
			}
			files = append(files, path)
			continue
		}
		entries, err := os.ReadDir(path)
		if err != nil {
			return nil, fmt.Errorf("could not read rules directory %s: %w", path, unwrapPathError(err))
		}
		var inDir []string
		for _, e := range entries {
			name := e.Name()
			full := filepath.Join(path, name)
			if st, err := os.Stat(full); err != nil || !st.Mode().IsRegular() {
				continue
			}
			if strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") {
				inDir = append(inDir, full)
			}
		}
		sort.Strings(inDir)
		for _, f := range inDir {
			if err := readable(f); err != nil {
				return nil, err
			}
		}
		files = append(files, inDir...)
	}
	return files, nil
}

func readable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("could not open rules file %s: %w", path, unwrapPathError(err))
	}
	return f.Close()
}

// unwrapPathError keeps the cause ("no such file or directory") without repeating the path.
func unwrapPathError(err error) error {
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		return pathErr.Err
	}
	return err
}
