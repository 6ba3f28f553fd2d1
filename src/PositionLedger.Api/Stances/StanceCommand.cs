using JasperFx.CommandLine;
using Marten;
using Npgsql;
using PositionLedger.Infrastructure;
using PositionLedger.Issues;
using Spectre.Console;
using PositionLedger.Revisions;

namespace PositionLedger.Stances;

public sealed class StanceInput : ClockedInput
{
    [Description("The party's id, e.g. russia")]
    public string Party { get; set; } = "";
}

[Description("Prints a party's stance on each issue as of a date, as the ledger knew it", Name = "stance")]
public sealed class StanceCommand : JasperFxAsyncCommand<StanceInput>
{
    public override async Task<bool> Execute(StanceInput input)
    {
        using var host = input.BuildHost();
        var clock = host.Services.GetRequiredService<TimeProvider>();
        if (!input.TryRead(clock, out var clocks, out var kinds)) return false;
        await using var session = host.Services.GetRequiredService<IDocumentStore>().QuerySession();
        if (await session.LoadAsync<Parties.Party>(input.Party) is not { } party)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]No party '{input.Party}' is registered.[/]");
            return false;
        }
        var issues = await session.Query<Issue>().ToListAsync();
        var stances = await StanceQueries.StancesAsync(
            host.Services.GetRequiredService<StanceDataSource>(), host.Services.GetRequiredService<RevisionTable>(),
            [party.Id], [.. issues.Select(i => i.Id)], clocks.AsOf, clocks.KnownAt, CancellationToken.None, kinds);

        var table = new Table().Title($"{party.Name}: stance as of {clocks.AsOf:u}, as known at {clocks.KnownAt:u}")
            .AddColumns("Issue", "Stance", "Evidence", "Stated", "Speaker", "Conditions", "Claims by others");
        foreach (var s in stances.GetValueOrDefault(party.Id) ?? [])
        {
            table.AddRow(
                Markup.Escape(issues.Single(i => i.Id == s.Issue).Title),
                s.Stance is null ? "[grey](none)[/]" : $"[bold]{s.Stance}[/]",
                s.EvidenceKind ?? "",
                s.StatedAt ?? "",
                Markup.Escape(s.Speaker ?? ""),
                Markup.Escape(string.Join("\n", s.Conditions)),
                Markup.Escape(string.Join("\n", s.Claims.Select(c => $"{c.ClaimedBy.Party} ({c.Speaker}, {c.StatedAt}): {c.Stance}"))));
        }
        AnsiConsole.Write(table);
        return true;
    }
}
