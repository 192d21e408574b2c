package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/appconnector/appconnector/adapters/httpapi/client"
	"github.com/appconnector/appconnector/adapters/manifest"
)

func init() { commands = append(commands, newApplyCmd) }

// Resource names as kubectl prints them.
const (
	resourceApplication = "application.applicationconnector.kyma-project.io"
	resourceSecret      = "secret"
)

func newApplyCmd(g *globals) *cobra.Command {
	var files []string
	cmd := &cobra.Command{
		Use:   "apply -f FILE [-f FILE...]",
		Short: "Create or replace Applications and Secrets from manifests",
		Long: "apply reads Kyma Application and Kubernetes Secret manifests (YAML with several\n" +
			"documents separated by ---, JSON, or List kinds) from files, directories (their\n" +
			"*.yaml, *.yml and *.json files) or stdin (-f -), and creates or replaces each object.\n" +
			"Every document is checked before anything is applied.",
		Example: "  appctl apply -f examples/application.yaml -f examples/secret.yaml\n  cat app.yaml | appctl apply -f -",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			objs, err := readManifests(files, g.In())
			if err != nil {
				return err
			}
			if len(objs) == 0 {
				return errors.New("no objects to apply")
			}
			c, err := g.Client()
			if err != nil {
				return err
			}
			failed := 0
			for _, o := range objs {
				if err := applyObject(cmd, c, o.Object, g.Out()); err != nil {
					failed++
					fmt.Fprintf(g.ErrOut(), "error: %s: %s/%s: %v\n", o.source, kindResource(o.Object), o.Name(), explain(err, g))
				}
			}
			if failed > 0 {
				return errReported{failed: failed}
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVarP(&files, "filename", "f", nil, "file, directory or - (stdin) with manifests; repeatable")
	_ = cmd.MarkFlagRequired("filename")
	return cmd
}

// sourced is an object with the file it came from, for error messages.
type sourced struct {
	manifest.Object
	source string
}

func readManifests(paths []string, stdin io.Reader) ([]sourced, error) {
	var out []sourced
	for _, p := range paths {
		files, err := expand(p)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			data, err := readSource(f, stdin)
			if err != nil {
				return nil, err
			}
			objs, err := manifest.Decode(data)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", displayName(f), err)
			}
			for _, o := range objs {
				out = append(out, sourced{Object: o, source: displayName(f)})
			}
		}
	}
	return out, nil
}

// expand turns a directory into its manifest files, sorted; other paths stay as they are.
func expand(path string) ([]string, error) {
	if path == "-" {
		return []string{path}, nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if !fi.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("read directory %s: %w", path, err)
	}
	var files []string
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if !e.IsDir() && (ext == ".yaml" || ext == ".yml" || ext == ".json") {
			files = append(files, filepath.Join(path, e.Name()))
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("directory %s has no .yaml, .yml or .json files", path)
	}
	slices.Sort(files)
	return files, nil
}

func readSource(path string, stdin io.Reader) ([]byte, error) {
	if path == "-" {
		var buf bytes.Buffer
		if _, err := io.Copy(&buf, stdin); err != nil {
			return nil, fmt.Errorf("read stdin: %w", err)
		}
		return buf.Bytes(), nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return b, nil
}

func displayName(path string) string {
	if path == "-" {
		return "stdin"
	}
	return path
}

func kindResource(o manifest.Object) string {
	if o.Application != nil {
		return resourceApplication
	}
	return resourceSecret
}

func applyObject(cmd *cobra.Command, c *client.Client, o manifest.Object, out io.Writer) error {
	var created bool
	var err error
	if o.Application != nil {
		_, created, err = c.ApplyApplication(cmd.Context(), *o.Application)
	} else {
		_, created, err = c.ApplySecret(cmd.Context(), *o.Secret)
	}
	if err != nil {
		return err
	}
	verb := "configured"
	if created {
		verb = "created"
	}
	fmt.Fprintf(out, "%s/%s %s\n", kindResource(o), o.Name(), verb)
	return nil
}
