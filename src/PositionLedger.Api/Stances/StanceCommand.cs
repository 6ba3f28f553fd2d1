using JasperFx.CommandLine;
using Marten;
using Npgsql;
using PositionLedger.Infrastructure;
using PositionLedger.Issues;
using Spectre.Console;
using PositionLedger.Revisions;

namespace PositionLedger.Stances;

public sealed class StanceInput : NetCoreInput
{
    [Description("The party's id, e.g. russia")]
    public string Party { get; set; } = "";

    [Description("Valid time: a date (through its end) or an ISO-8601 instant; default now")]
    public string? AsOfFlag { get; set; }

    [Description("Record time: what the ledger knew then; default now")]
    public string? KnownAtFlag { get; set; }

    [Description("Only statements of these evidence kinds, comma-separated" +
        " (direct-quote, paraphrase, reported-act, inference, unanchored)")]
    public string? EvidenceFlag { get; set; }
}

[Description("Prints a party's stance on each issue as of a date, as the ledger knew it", Name = "stance")]
public sealed class StanceCommand : JasperFxAsyncCommand<StanceInput>
{
    public override async Task<bool> Execute(StanceInput input)
    {
        using var host = input.BuildHost();
        var clock = host.Services.GetRequiredService<TimeProvider>();
        var problem = Clocks.TryRead(input.AsOfFlag, input.KnownAtFlag, clock, out var clocks);
        if (problem.IsProblem())
        {
            AnsiConsole.MarkupLineInterpolated($"[red]{problem.Detail}[/] Use {Instants.FormatHint}.");
            return false;
        }
        if (Sources.EvidenceKinds.TryReadFilter(input.EvidenceFlag, out var kinds).IsProblem())
        {
            AnsiConsole.MarkupLineInterpolated($"[red]--evidence must list kinds from: {string.Join(", ", Sources.EvidenceKinds.All)}.[/]");
            return false;
        }
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
