using JasperFx.CommandLine;
using Marten;
using Spectre.Console;

namespace PositionLedger.Seeding;

public sealed class SeedInput : NetCoreInput
{
    [Description("Folder of seed files (*.json); default: seeds")]
    public string Directory { get; set; } = "seeds";
}

[Description("Loads the seed data; loading twice appends nothing new", Name = "seed")]
public sealed class SeedCommand : JasperFxAsyncCommand<SeedInput>
{
    public override async Task<bool> Execute(SeedInput input)
    {
        // The host is built, not started: seeding must not bind the web port of a running app.
        using var host = input.BuildHost();
        var store = host.Services.GetRequiredService<IDocumentStore>();
        var clock = host.Services.GetRequiredService<TimeProvider>();
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        try
        {
            var report = await Seeder.SeedAsync(
                store, input.Directory, clock, m => AnsiConsole.MarkupLineInterpolated($"[grey]{m}[/]"), CancellationToken.None);
            AnsiConsole.MarkupLineInterpolated(
                $"[green]Seeded[/] {report.Sources} sources, {report.Parties} parties, {report.Issues} issues, {report.Statements} statements; {report.AlreadyPresent} already present.");
            return true;
        }
        catch (SeedException e)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]Seed failed:[/] {e.Message}");
            return false;
        }
    }
}
