package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/appconnector/appconnector/adapters/httpapi/client"
)

func init() {
	commands = append(commands, newDeleteCmd)
	deleteCommands = append(deleteCommands, newDeleteApplicationCmd, newDeleteSecretCmd)
}

func newDeleteCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "delete RESOURCE NAME...",
		Short:   "Delete Applications or Secrets",
		Example: "  appctl delete application orders-app\n  appctl delete secret orders-app-basic",
		RunE:    func(cmd *cobra.Command, args []string) error { return unknownResource(cmd, args) },
	}
	for _, c := range deleteCommands {
		cmd.AddCommand(c(g))
	}
	return cmd
}

func newDeleteApplicationCmd(g *globals) *cobra.Command {
	return newDeleter(g, "application", []string{"applications", "app", "apps"}, resourceApplication,
		func(ctx context.Context, c *client.Client, name string) error { return c.DeleteApplication(ctx, name) })
}

func newDeleteSecretCmd(g *globals) *cobra.Command {
	return newDeleter(g, "secret", []string{"secrets"}, resourceSecret,
		func(ctx context.Context, c *client.Client, name string) error { return c.DeleteSecret(ctx, name) })
}

// newDeleter builds "delete <use> NAME..." that deletes every name, reports each
// failure and exits non-zero if any failed, as kubectl does.
func newDeleter(g *globals, use string, aliases []string, resource string,
	del func(context.Context, *client.Client, string) error,
) *cobra.Command {
	var ignoreNotFound bool
	cmd := &cobra.Command{
		Use:     use + " NAME...",
		Aliases: aliases,
		Short:   "Delete " + use + "s by name",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.Client()
			if err != nil {
				return err
			}
			failed := 0
			for _, name := range args {
				err := del(cmd.Context(), c, name)
				switch {
				case err == nil:
					fmt.Fprintf(g.Out(), "%s %q deleted\n", resource, name)
				case ignoreNotFound && errors.Is(err, client.ErrNotFound):
				default:
					failed++
					fmt.Fprintf(g.ErrOut(), "error: %s %q: %v\n", resource, name, explain(err, g))
				}
			}
			if failed > 0 {
				return errReported{failed: failed}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&ignoreNotFound, "ignore-not-found", false, "treat an absent object as deleted")
	return cmd
}
