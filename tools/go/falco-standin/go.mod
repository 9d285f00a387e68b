// The Falco stand-in of the test fixtures: loads plugins with the upstream plugin loader (plugin-sdk-go, pinned).
module github.com/falco-airgap/falco-airgap/tools/go/falco-standin

go 1.26.0

require (
	github.com/falcosecurity/plugin-sdk-go v0.8.1
	gopkg.in/yaml.v3 v3.0.1
)

require (
	github.com/xeipuuv/gojsonpointer v0.0.0-20190905194746-02993c407bfb // indirect
	github.com/xeipuuv/gojsonreference v0.0.0-20180127040603-bd5ef7bd5415 // indirect
	github.com/xeipuuv/gojsonschema v1.2.0 // indirect
)
