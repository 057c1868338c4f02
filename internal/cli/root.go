// Package cli is poisonguard's command tree. It parses flags into each
// package's options, runs them, renders their results and maps outcomes to
// exit codes: 0 clean, 1 findings, 2 usage, input or I/O errors.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"runtime/pprof"

	"github.com/spf13/cobra"
)

// Exit codes shared by every command.
const (
	exitOK       = 0
	exitFindings = 1
	exitError    = 2
)

// errFindings is returned by a command whose judgement failed: the report
// has been printed and the process exits 1.
var errFindings = errors.New("findings")

// app carries what every command shares.
type app struct {
	stdout, stderr io.Writer
	logger         *slog.Logger
	quiet          bool
	logLevel       string
	logFormat      string
	cpuProfile     string
	stopProfile    func()
}

// Main runs the command line and returns the process exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: stderr}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := a.execute(ctx, root)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errFindings):
		return exitFindings
	}
	fmt.Fprintf(stderr, "poisonguard: %v\n", err)
	return exitError
}

// execute runs the command tree, under the CPU profiler when asked.
func (a *app) execute(ctx context.Context, root *cobra.Command) error {
	defer func() {
		if a.stopProfile != nil {
			a.stopProfile()
		}
	}()
	return root.ExecuteContext(ctx)
}

// startProfile starts the CPU profiler for --cpu-profile.
func (a *app) startProfile() error {
	if a.cpuProfile == "" {
		return nil
	}
	f, err := os.Create(a.cpuProfile)
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return err
	}
	a.stopProfile = func() {
		pprof.StopCPUProfile()
		f.Close()
	}
	return nil
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "poisonguard",
		Short: "Defend ML pipelines against model poisoning",
		Long: `poisonguard gates training data, scans for poisoned samples, signs and
verifies model artifacts and watches models in production.

Exit codes: 0 clean or verified, 1 findings or verification failed,
2 usage, input or I/O error.`,
		Example: `  # Profile a trusted dataset, then gate a new batch against it
  poisonguard data profile train.csv --label target -o baseline.json
  poisonguard data check new_batch.csv --baseline baseline.json --label target`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.setupLogging(); err != nil {
				return err
			}
			return a.startProfile()
		},
	}
	root.PersistentFlags().StringVar(&a.cpuProfile, "cpu-profile", "", "write a Go CPU profile to this file")
	root.PersistentFlags().MarkHidden("cpu-profile")
	pf := root.PersistentFlags()
	pf.BoolVarP(&a.quiet, "quiet", "q", false, "no progress output")
	pf.StringVar(&a.logLevel, "log-level", "warn", "log level: debug, info, warn or error")
	pf.StringVar(&a.logFormat, "log-format", "text", "log format: text or json")
	root.AddCommand(a.versionCommand(), a.dataCommand(), a.demoCommand(), a.drillCommand(), a.attackCommand(), a.modelCommand(), a.ledgerCommand(), a.registryCommand())
	return root
}

func (a *app) setupLogging() error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(a.logLevel)); err != nil {
		return usageError{fmt.Errorf("--log-level: %w", err)}
	}
	opts := &slog.HandlerOptions{Level: level}
	switch a.logFormat {
	case "text":
		a.logger = slog.New(slog.NewTextHandler(a.stderr, opts))
	case "json":
		a.logger = slog.New(slog.NewJSONHandler(a.stderr, opts))
	default:
		return usageError{fmt.Errorf("--log-format must be text or json, not %q", a.logFormat)}
	}
	return nil
}

// usageError marks a mistake in the command line.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// Version is set at link time with -ldflags "-X ...cli.Version=v1.2.3";
// otherwise the module version from the build info is shown.
var Version = ""

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the version",
		Args:    cobra.NoArgs,
		Example: "  poisonguard version",
		RunE: func(cmd *cobra.Command, _ []string) error {
			goVersion := "unknown"
			if info, ok := debug.ReadBuildInfo(); ok {
				goVersion = info.GoVersion
			}
			_, err := fmt.Fprintf(a.stdout, "poisonguard %s (%s)\n", version(), goVersion)
			return err
		},
	}
}

// version returns the linked-in Version, else the module version.
func version() string {
	if Version != "" {
		return Version
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		return info.Main.Version
	}
	return "unknown"
}
