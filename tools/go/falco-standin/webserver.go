package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

// The keys of falco.yaml's webserver: section the stand-in serves, with Falco's defaults for absent ones.
type webserverConfig struct {
	Enabled            bool    `yaml:"enabled"`
	ListenAddress      *string `yaml:"listen_address"`
	ListenPort         *int    `yaml:"listen_port"`
	K8sHealthzEndpoint *string `yaml:"k8s_healthz_endpoint"`
	SSLEnabled         bool    `yaml:"ssl_enabled"`
	SSLCertificate     *string `yaml:"ssl_certificate"`
}

func valueOr[T any](value *T, fallback T) T {
	if value == nil {
		return fallback
	}
	return *value
}

// healthBody is what Falco's webserver answers on its health endpoint.
const healthBody = `{"status": "ok"}`

type webserver struct {
	server   *http.Server
	listener net.Listener
	scheme   string
	endpoint string
}

// startWebserver listens like Falco's webserver and answers the health endpoint; Falco starts it once plugins and
// rules are loaded, so a Falco that fails before that never reports healthy.
func startWebserver(c webserverConfig) (*webserver, error) {
	address := valueOr(c.ListenAddress, "0.0.0.0")
	if net.ParseIP(address) == nil {
		return nil, fmt.Errorf("webserver listen address %q is not a valid IP address", address)
	}
	port := valueOr(c.ListenPort, 8765)
	if port < 0 || port > 65535 {
		return nil, fmt.Errorf("webserver listen_port %d is not a port number", port)
	}
	endpoint := valueOr(c.K8sHealthzEndpoint, "/healthz")
	// The endpoint as written, not a ServeMux pattern: a path from falco.yaml may hold characters patterns treat specially.
	health := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path != endpoint:
			http.NotFound(w, r)
		case r.Method != http.MethodGet && r.Method != http.MethodHead:
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		default:
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(healthBody))
		}
	})
	server := &http.Server{Handler: health, ReadHeaderTimeout: 10 * time.Second}

	scheme := "http"
	if c.SSLEnabled {
		// One PEM file holding the key and the certificate, as Falco reads it.
		path := valueOr(c.SSLCertificate, "/etc/falco/falco.pem")
		pem, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("cannot read the webserver's ssl_certificate %s: %w", path, unwrapPathError(err))
		}
		pair, err := tls.X509KeyPair(pem, pem)
		if err != nil {
			return nil, fmt.Errorf("webserver ssl_certificate %s does not hold a key and its certificate: %w", path, err)
		}
		server.TLSConfig = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
		scheme = "https"
	}

	listener, err := net.Listen("tcp", net.JoinHostPort(address, strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("webserver cannot listen: %w", err)
	}
	w := &webserver{server: server, listener: listener, scheme: scheme, endpoint: endpoint}
	go func() {
		var err error
		if server.TLSConfig != nil {
			err = server.ServeTLS(listener, "", "")
		} else {
			err = server.Serve(listener)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(os.Stderr, "falco-standin: error: webserver stopped: %s\n", oneLine(err.Error()))
			os.Exit(1)
		}
	}()
	return w, nil
}

func (w *webserver) String() string {
	return fmt.Sprintf("%s://%s%s", w.scheme, w.listener.Addr(), w.endpoint)
}

func (w *webserver) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = w.server.Shutdown(ctx)
}
