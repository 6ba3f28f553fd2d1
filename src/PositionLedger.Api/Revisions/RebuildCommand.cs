using JasperFx.CommandLine;
using Spectre.Console;

namespace PositionLedger.Revisions;

[Description(
    "Rebuilds the bitemporal revision table and the resolved claims from the event log into new tables and swaps them in" +
    " (reads go on; appends wait only for the swap)",
    Name = "rebuild-revisions")]
public sealed class RebuildCommand : JasperFxAsyncCommand<NetCoreInput>
{
    public override async Task<bool> Execute(NetCoreInput input)
    {
        using var host = input.BuildHost();
        var rebuild = host.Services.GetRequiredService<RevisionsRebuild>();
        RevisionsRebuild.Report? report = null;
        await AnsiConsole.Status().StartAsync("Writing the revisions from the event log...", async status =>
        {
            var progress = new Progress<long>(rows => status.Status($"Wrote {rows:N0} revisions; building the indexes..."));
            report = await rebuild.RunAsync(progress, CancellationToken.None);
        });
        AnsiConsole.MarkupLineInterpolated(
            $"[green]Rebuilt.[/] {report!.Revisions:N0} revisions from the events through sequence {report.ThroughSequence:N0}, {report.CaughtUp:N0} events caught up at the swap, in {report.Elapsed.TotalSeconds:N1} s ({report.ThroughSequence / report.Elapsed.TotalSeconds:N0} events/s; {string.Join(", ", report.Phases.Select(p => $"{p.Key} {p.Value.TotalSeconds:N1} s"))}).");
        return true;
    }
}
