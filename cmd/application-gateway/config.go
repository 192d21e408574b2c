package main

import (
	"errors"
	"flag"
	"io"

	"github.com/appconnector/appconnector/cmd/internal/serveflags"
)

// Config is the application-gateway binary's configuration, from flags with an
// APPCONNECTOR_<FLAG> environment fallback (flags win).
type Config struct {
	serveflags.Flags
	serveflags.Gateway
	serveflags.Health
}

// dataDirUsage says what the store can be: bbolt locks its file for one process, so the
// directory of a running appconnector is refused ("data dir in use"), and this binary
// has no API that writes Applications or Secrets.
const dataDirUsage = "directory of an embedded store this process opens and locks for itself: the data dir of an appconnector " +
	"that no longer runs, or a copy of one (a data dir a running appconnector uses is refused as in use). " +
	":memory: starts empty and nothing here writes to it: every Application is unknown (404)"

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("application-gateway", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.Flags.Register(fs, dataDirUsage)
	c.Gateway.Register(fs)
	c.Health.Register(fs)
	if err := c.Parse(fs, args, getenv); err != nil {
		return Config{}, err
	}
	return c, errors.Join(append(append(c.Flags.Validate(), c.Gateway.Validate()...), c.Health.Validate()...)...)
}
