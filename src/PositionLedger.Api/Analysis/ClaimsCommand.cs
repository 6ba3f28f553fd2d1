using JasperFx.CommandLine;
using Marten;
using PositionLedger.Infrastructure;
using PositionLedger.Revisions;
using PositionLedger.Stances;
using Spectre.Console;

namespace PositionLedger.Analysis;

public sealed class ClaimsInput : ClockedInput
{
    [Description("The claiming party's id, e.g. ukraine")]
    public string Party { get; set; } = "";
}

[Description("Prints the claims a party made about others and how each resolved (rule 6), as of a date", Name = "claims")]
public sealed class ClaimsCommand : JasperFxAsyncCommand<ClaimsInput>
{
    public override async Task<bool> Execute(ClaimsInput input)
    {
        using var host = input.BuildHost();
        if (!input.TryRead(host.Services.GetRequiredService<TimeProvider>(), out var clocks, out var kinds)) return false;
        await using var session = host.Services.GetRequiredService<IDocumentStore>().QuerySession();
        if (await session.LoadAsync<Parties.Party>(input.Party) is not { } party)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]No party '{input.Party}' is registered.[/]");
            return false;
        }
        var claims = await ClaimsMadeEndpoint.ReadAsync(host.Services.GetRequiredService<StanceDataSource>().Value,
            host.Services.GetRequiredService<RevisionTable>(), party.Id, clocks, kinds, CancellationToken.None);

        var table = new Table().Title($"{party.Name}: claims made, as of {clocks.AsOf:u}, as known at {clocks.KnownAt:u}")
            .AddColumns("Stated", "About", "Issue", "Claimed stance", "By", "Resolution", "Resolved by");
        foreach (var c in claims)
        {
            table.AddRow(c.StatedAt, c.About, Markup.Escape(c.Issue), c.Stance, Markup.Escape(c.ClaimedBy.Speaker),
                c.Resolution switch
                {
                    Statements.ClaimResolutions.BorneOut => "[green]borne out[/]",
                    Statements.ClaimResolutions.Contradicted => "[red]contradicted[/]",
                    _ => "[grey]open[/]",
                },
                c.ResolvedBy ?? "");
        }
        AnsiConsole.Write(table);
        int Count(string resolution) => claims.Count(c => c.Resolution == resolution);
        AnsiConsole.MarkupLineInterpolated($"{claims.Count} claims: {Count(Statements.ClaimResolutions.BorneOut)} borne out, {
            Count(Statements.ClaimResolutions.Contradicted)} contradicted, {Count(Statements.ClaimResolutions.Open)} open.");
        return true;
    }
}
