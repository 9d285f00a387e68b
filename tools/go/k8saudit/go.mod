// Builds the k8saudit Falco plugin (plugin-sdk-go, a cgo c-shared library) for the fixtures from one pinned release.
module github.com/falco-airgap/falco-airgap/tools/go/k8saudit

go 1.26.0

tool github.com/falcosecurity/plugins/plugins/k8saudit/plugin

require (
	github.com/alecthomas/jsonschema v0.0.0-20220216202328-9eeeec9d044b // indirect
	github.com/falcosecurity/plugin-sdk-go v0.7.4 // indirect
	github.com/falcosecurity/plugins/plugins/k8saudit v0.12.0 // indirect
	github.com/iancoleman/orderedmap v0.3.0 // indirect
	github.com/valyala/fastjson v1.6.4 // indirect
)
