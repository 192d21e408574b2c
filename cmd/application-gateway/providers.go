package main

import (
	"github.com/appconnector/appconnector/adapters/gateway"
	"github.com/appconnector/appconnector/adapters/storage"
)

func provideDataDir(cfg Config) storage.DataDir { return storage.DataDir(cfg.DataDir) }

func gatewayConfig(cfg Config) gateway.Config {
	g := gateway.DefaultConfig()
	g.ProxyTimeout = cfg.ProxyTimeout
	g.RetryBodyLimit = cfg.RetryBodyLimit
	g.RetryOnAuthFailure = cfg.RetryOnAuthFailure
	return g
}
