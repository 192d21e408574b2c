package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/appconnector/appconnector/adapters/manifest"
	"github.com/appconnector/appconnector/domain/application"
)

func init() {
	commands = append(commands, newGetCmd)
	getCommands = append(getCommands, newGetApplicationsCmd, newGetSecretsCmd)
}

func newGetCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "get RESOURCE [NAME]",
		Short: "List or show Applications and Secrets",
		Example: "  appctl get applications\n  appctl get application orders-app -o yaml\n" +
			"  appctl get secrets",
		RunE: func(cmd *cobra.Command, args []string) error { return unknownResource(cmd, args) },
	}
	for _, c := range getCommands {
		cmd.AddCommand(c(g))
	}
	return cmd
}

// outputFlag is -o: table (default), json, yaml or name.
type outputFlag struct{ value string }

func (o *outputFlag) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.value, "output", "o", "", "output format: json, yaml or name (default: a table)")
}

// format returns the document format for json and yaml, and ok=false for the table
// and name outputs.
func (o *outputFlag) format() (f manifest.Format, document bool, err error) {
	switch o.value {
	case "", "name", "wide":
		return 0, false, nil
	}
	f, err = manifest.ParseFormat(o.value)
	if err != nil {
		return 0, false, fmt.Errorf("--output: %w (or name)", err)
	}
	return f, true, nil
}

func newGetApplicationsCmd(g *globals) *cobra.Command {
	var out outputFlag
	cmd := &cobra.Command{
		Use:     "applications [NAME]",
		Aliases: []string{"application", "app", "apps"},
		Short:   "List Applications, or show one",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, document, err := out.format()
			if err != nil {
				return err
			}
			c, err := g.Client()
			if err != nil {
				return err
			}
			var apps []application.Application
			if len(args) == 1 {
				app, err := c.GetApplication(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				apps = []application.Application{app}
				if document {
					return writeDoc(g.Out(), manifest.NewApplicationDocument(app), f)
				}
			} else {
				if apps, err = c.ListApplications(cmd.Context()); err != nil {
					return err
				}
				if document {
					return writeDoc(g.Out(), manifest.NewApplicationList(apps), f)
				}
			}
			if len(apps) == 0 {
				fmt.Fprintln(g.ErrOut(), "No applications found.")
				return nil
			}
			if out.value == "name" {
				for _, a := range apps {
					fmt.Fprintf(g.Out(), "%s/%s\n", resourceApplication, a.Name)
				}
				return nil
			}
			return applicationTable(g.Out(), apps)
		},
	}
	out.register(cmd)
	return cmd
}

func applicationTable(w io.Writer, apps []application.Application) error {
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSERVICES\tAPIS\tEVENTS\tDESCRIPTION")
	for _, a := range apps {
		apis, events := 0, 0
		for _, s := range a.Spec.Services {
			for _, e := range s.Entries {
				switch e.Type {
				case application.EntryTypeAPI:
					apis++
				case application.EntryTypeEvents:
					events++
				}
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\n", a.Name, len(a.Spec.Services), apis, events, oneLine(a.Spec.Description, 60))
	}
	return tw.Flush()
}

func newGetSecretsCmd(g *globals) *cobra.Command {
	var out outputFlag
	cmd := &cobra.Command{
		Use:     "secrets [NAME]",
		Aliases: []string{"secret"},
		Short:   "List Secrets with their key names, or show one (values are never shown)",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, document, err := out.format()
			if err != nil {
				return err
			}
			c, err := g.Client()
			if err != nil {
				return err
			}
			var views []manifest.SecretView
			if len(args) == 1 {
				v, err := c.GetSecret(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if document {
					return writeDoc(g.Out(), v, f)
				}
				views = []manifest.SecretView{v}
			} else {
				if views, err = c.ListSecrets(cmd.Context()); err != nil {
					return err
				}
				if document {
					return writeDoc(g.Out(), manifest.SecretViewList{
						APIVersion: manifest.APIVersionV1, Kind: manifest.KindSecretList, Items: views,
					}, f)
				}
			}
			if len(views) == 0 {
				fmt.Fprintln(g.ErrOut(), "No secrets found.")
				return nil
			}
			if out.value == "name" {
				for _, v := range views {
					fmt.Fprintf(g.Out(), "%s/%s\n", resourceSecret, v.Metadata.Name)
				}
				return nil
			}
			tw := tabwriter.NewWriter(g.Out(), 0, 4, 3, ' ', 0)
			fmt.Fprintln(tw, "NAME\tKEYS\tDATA")
			for _, v := range views {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", v.Metadata.Name, strings.Join(v.Keys, ","), strconv.Itoa(len(v.Keys)))
			}
			return tw.Flush()
		},
	}
	out.register(cmd)
	return cmd
}

func writeDoc(w io.Writer, v any, f manifest.Format) error {
	b, err := manifest.Marshal(v, f)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// oneLine shortens s to one line of at most n runes for a table cell.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-3]) + "..."
	}
	return s
}
