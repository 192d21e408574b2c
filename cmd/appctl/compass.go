package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/appconnector/appconnector/adapters/httpapi/client"
	"github.com/appconnector/appconnector/domain/compass"
)

func init() {
	commands = append(commands, newCompassCmd)
	getCommands = append(getCommands, newGetCompassConnectionCmd)
}

// resourceCompassConnection is the CompassConnection's resource name as kubectl prints it.
const resourceCompassConnection = "compassconnection.compass.kyma-project.io"

func newCompassCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "compass COMMAND",
		Short: "Show and steer the Runtime Agent's connection to Compass",
		Long: "In Compass mode (appconnector --compass, or the runtime-agent), the agent pairs the\n" +
			"runtime with Compass using the one-time token of the " + compass.ConfigurationSecretName + " Secret,\n" +
			"renews its client certificate and syncs the Applications the Director assigns to it.\n" +
			"Its state is the CompassConnection object " + compass.ConnectionName + ".",
		Example: "  appctl apply -f compass-agent-configuration.yaml\n  appctl compass status\n" +
			"  appctl compass resync\n  appctl compass renew\n  appctl compass reset",
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var names []string
			for _, c := range cmd.Commands() {
				if c.IsAvailableCommand() {
					names = append(names, c.Name())
				}
			}
			if len(args) == 0 {
				return fmt.Errorf("specify a command: %s", strings.Join(names, ", "))
			}
			return fmt.Errorf("unknown command %q for \"appctl compass\": use %s", args[0], strings.Join(names, ", "))
		},
	}
	cmd.AddCommand(newCompassStatusCmd(g), newCompassResyncCmd(g), newCompassRenewCmd(g), newCompassResetCmd(g))
	return cmd
}

func newCompassStatusCmd(g *globals) *cobra.Command {
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the connection: state, certificate validity, syncs, Applications and errors",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return showCompassConnection(cmd, g, &out, func(w io.Writer, conn compass.Connection) error {
				return printCompassStatus(w, conn, time.Now())
			})
		},
	}
	out.register(cmd)
	return cmd
}

func newCompassResyncCmd(g *globals) *cobra.Command {
	return newCompassFlagCmd(g, "resync",
		"Sync with the Director at the agent's next round, regardless of the minimal sync time",
		func(c *client.Client, cmd *cobra.Command) error {
			yes := true
			_, err := c.PatchCompassConnection(cmd.Context(), &yes, nil)
			return err
		},
		"resync requested (spec.resyncNow): the agent syncs at its next round")
}

func newCompassRenewCmd(g *globals) *cobra.Command {
	return newCompassFlagCmd(g, "renew",
		"Renew the runtime's client certificate at the agent's next round",
		func(c *client.Client, cmd *cobra.Command) error {
			yes := true
			_, err := c.PatchCompassConnection(cmd.Context(), nil, &yes)
			return err
		},
		"certificate renewal requested (spec.refreshCredentialsNow): the agent renews at its next round")
}

func newCompassResetCmd(g *globals) *cobra.Command {
	return newCompassFlagCmd(g, "reset",
		"Delete the CompassConnection, so that the agent pairs again (Kyma: kubectl delete compassconnection)",
		func(c *client.Client, cmd *cobra.Command) error { return c.DeleteCompassConnection(cmd.Context()) },
		"deleted: the agent pairs again at its next round with the token of Secret "+compass.ConfigurationSecretName+
			" (a token works once: put a fresh one there first)")
}

func newCompassFlagCmd(g *globals, use, short string, do func(*client.Client, *cobra.Command) error, done string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.Client()
			if err != nil {
				return err
			}
			if err := do(c, cmd); err != nil {
				return err
			}
			_, err = fmt.Fprintf(g.Out(), "%s/%s %s\n", resourceCompassConnection, compass.ConnectionName, done)
			return err
		},
	}
}

func newGetCompassConnectionCmd(g *globals) *cobra.Command {
	var out outputFlag
	cmd := &cobra.Command{
		Use:     "compassconnection [NAME]",
		Aliases: []string{"compassconnections"},
		Short:   "Show the CompassConnection (Compass mode)",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 && args[0] != compass.ConnectionName {
				return fmt.Errorf("compassconnection %q not found: the only one is %s", args[0], compass.ConnectionName)
			}
			return showCompassConnection(cmd, g, &out, compassTable)
		},
	}
	out.register(cmd)
	return cmd
}

// showCompassConnection fetches the CompassConnection and prints it as the output
// flag says: the object as YAML or JSON, its name, or else with text.
func showCompassConnection(cmd *cobra.Command, g *globals, out *outputFlag, text func(io.Writer, compass.Connection) error) error {
	f, document, err := out.format()
	if err != nil {
		return err
	}
	c, err := g.Client()
	if err != nil {
		return err
	}
	conn, err := c.CompassConnection(cmd.Context())
	if err != nil {
		return err
	}
	switch {
	case document:
		return writeDoc(g.Out(), client.NewCompassConnectionDocument(conn), f)
	case out.value == "name":
		_, err := fmt.Fprintf(g.Out(), "%s/%s\n", resourceCompassConnection, conn.Name)
		return err
	}
	return text(g.Out(), conn)
}

func compassTable(w io.Writer, c compass.Connection) error {
	state, notAfter, lastSync := "-", "-", "-"
	if c.Status.ConnectionState != "" {
		state = string(c.Status.ConnectionState)
	}
	if cs := c.Status.ConnectionStatus; cs != nil {
		notAfter = stamp(cs.CertificateStatus.NotAfter)
		lastSync = stamp(cs.LastSync)
	}
	apps, failed := 0, 0
	if ss := c.Status.SynchronizationStatus; ss != nil {
		apps, failed = ss.Applications, len(ss.FailedApplications)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tCERTIFICATE EXPIRES\tLAST SYNC\tAPPLICATIONS\tFAILED")
	fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\n", c.Name, state, notAfter, lastSync, apps, failed)
	return tw.Flush()
}

// printCompassStatus writes what a user checks first: the state, where the agent
// talks to, how long the certificate lasts, when it last synced and what failed. now
// is a parameter so that the relative times can be tested.
func printCompassStatus(w io.Writer, c compass.Connection, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	line := func(label, value string) { fmt.Fprintf(tw, "%s:\t%s\n", label, value) }
	state := string(c.Status.ConnectionState)
	if state == "" {
		state = "unknown (the agent has not written a state yet)"
	}
	line("State", state)
	line("Connector", orDash(c.Spec.ManagementInfo.ConnectorURL))
	line("Director", orDash(c.Spec.ManagementInfo.DirectorURL))

	cs := c.Status.ConnectionStatus
	if cs == nil {
		cs = &compass.ConnectionStatus{}
	}
	line("Certificate", certificateValidity(cs.CertificateStatus, now))
	line("Certificate acquired", when(cs.CertificateStatus.Acquired, now))
	line("Established", when(cs.Established, now))
	line("Renewed", when(cs.Renewed, now))
	line("Last sync", when(cs.LastSync, now))
	line("Last success", when(cs.LastSuccess, now))

	ss := c.Status.SynchronizationStatus
	if ss == nil {
		ss = &compass.SynchronizationStatus{}
	}
	line("Last sync attempt", when(ss.LastAttempt, now))
	line("Last successful fetch", when(ss.LastSuccessfulFetch, now))
	line("Last successful application", when(ss.LastSuccessfulApplication, now))
	line("Applications synced", fmt.Sprint(ss.Applications))
	line("Failed applications", fmt.Sprint(len(ss.FailedApplications)))
	for _, name := range slices.Sorted(maps.Keys(ss.FailedApplications)) {
		fmt.Fprintf(tw, "  %s:\t%s\n", name, ss.FailedApplications[name])
	}
	switch {
	case cs.Error == "" && ss.Error == "":
		line("Last error", "none")
	default:
		if cs.Error != "" {
			line("Connection error", cs.Error)
		}
		if ss.Error != "" {
			line("Synchronization error", ss.Error)
		}
	}
	var pending []string
	if c.Spec.ResyncNow {
		pending = append(pending, "resync")
	}
	if c.Spec.RefreshCredentialsNow {
		pending = append(pending, "certificate renewal")
	}
	if len(pending) > 0 {
		line("Requested", strings.Join(pending, ", ")+" (at the agent's next round)")
	}
	return tw.Flush()
}

func certificateValidity(cert compass.CertificateStatus, now time.Time) string {
	if cert.NotBefore == nil || cert.NotAfter == nil {
		return "none yet"
	}
	v := stamp(cert.NotBefore) + " .. " + stamp(cert.NotAfter)
	switch {
	case now.Before(*cert.NotBefore):
		return v + " (not valid yet)"
	case now.Before(*cert.NotAfter):
		return v + " (" + humanDuration(cert.NotAfter.Sub(now)) + " left)"
	}
	return v + " (expired " + humanDuration(now.Sub(*cert.NotAfter)) + " ago)"
}

func when(t *time.Time, now time.Time) string {
	if t == nil {
		return "never"
	}
	d := now.Sub(*t)
	if d < 0 {
		return stamp(t) + " (in " + humanDuration(-d) + ")"
	}
	return stamp(t) + " (" + humanDuration(d) + " ago)"
}

func stamp(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// humanDuration keeps the two largest units, as kubectl's ages do.
func humanDuration(d time.Duration) string {
	d = d.Truncate(time.Second)
	day := 24 * time.Hour
	switch {
	case d >= day:
		return fmt.Sprintf("%dd%dh", d/day, (d%day)/time.Hour)
	case d >= time.Hour:
		return fmt.Sprintf("%dh%dm", d/time.Hour, (d%time.Hour)/time.Minute)
	case d >= time.Minute:
		return fmt.Sprintf("%dm%ds", d/time.Minute, (d%time.Minute)/time.Second)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
