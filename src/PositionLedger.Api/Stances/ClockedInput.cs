using JasperFx.CommandLine;
using PositionLedger.Infrastructure;
using Spectre.Console;

namespace PositionLedger.Stances;

/// <summary>The two clocks and the evidence filter of a command that answers as the API does (stance, claims).</summary>
public abstract class ClockedInput : NetCoreInput
{
    [Description("Valid time: a date (through its end) or an ISO-8601 instant; default now")]
    public string? AsOfFlag { get; set; }

    [Description("Record time: what the ledger knew then; default now")]
    public string? KnownAtFlag { get; set; }

    [Description("Only statements of these evidence kinds, comma-separated" +
        " (direct-quote, paraphrase, reported-act, inference, unanchored)")]
    public string? EvidenceFlag { get; set; }

    /// <summary>Reads the flags, or says on the console what is wrong with them.</summary>
    public bool TryRead(TimeProvider clock, out Clocks clocks, out string[] kinds)
    {
        kinds = [];
        var problem = Clocks.TryRead(AsOfFlag, KnownAtFlag, clock, out clocks);
        if (problem.IsProblem())
        {
            AnsiConsole.MarkupLineInterpolated($"[red]{problem.Detail}[/] Use {Instants.FormatHint}.");
            return false;
        }
        if (Sources.EvidenceKinds.TryReadFilter(EvidenceFlag, out kinds).IsProblem())
        {
            AnsiConsole.MarkupLineInterpolated($"[red]--evidence must list kinds from: {string.Join(", ", Sources.EvidenceKinds.All)}.[/]");
            return false;
        }
        return true;
    }
}
