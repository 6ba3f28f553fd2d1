using JasperFx.CommandLine;
using Spectre.Console;

namespace PositionLedger.Stances;

[Description("Rebuilds the bitemporal revision table from the event log into a new table and swaps it in (reads go on; appends wait only for the swap)", Name = "rebuild-revisions")]
public sealed class RebuildCommand : JasperFxAsyncCommand<NetCoreInput>
{
    public override async Task<bool> Execute(NetCoreInput input)
    {
        using var host = input.BuildHost();
        var rebuild = host.Services.GetRequiredService<RevisionsRebuild>();
        RevisionsRebuild.Report? report = null;
        await AnsiConsole.Status().StartAsync("Reading the event log...", async status =>
        {
            var progress = new Progress<long>(events => status.Status($"Read {events:N0} statement events..."));
            report = await rebuild.RunAsync(progress, CancellationToken.None);
        });
        AnsiConsole.MarkupLineInterpolated(
            $"[green]Rebuilt.[/] {report!.Revisions:N0} revisions from {report.Events:N0} statement events, {report.CaughtUp:N0} caught up at the swap, in {report.Elapsed.TotalSeconds:N1} s ({report.Events / report.Elapsed.TotalSeconds:N0} events/s).");
        return true;
    }
}
