using JasperFx.CommandLine;
using Npgsql;
using PositionLedger.Infrastructure;
using Spectre.Console;
using PositionLedger.Revisions;

namespace PositionLedger.Timeline;

public sealed class ReplayInput : NetCoreInput
{
    [Description("Only this party's statements (and claims about it)")]
    public string? PartyFlag { get; set; }

    [Description("Only this issue")]
    public string? IssueFlag { get; set; }

    [Description("From this date or instant (statedAt)")]
    public string? FromFlag { get; set; }

    [Description("To this date (through its end) or instant")]
    public string? ToFlag { get; set; }

    [Description("Only statements of these evidence kinds, comma-separated" +
        " (direct-quote, paraphrase, reported-act, inference, unanchored)")]
    public string? EvidenceFlag { get; set; }

    [Description("Steps through the change points one by one, with a short pause, as the page's replay does")]
    public bool PlayFlag { get; set; }

    [Description("With --play: the pause between change points, in milliseconds (default 800)")]
    public int PauseFlag { get; set; } = 800;
}

[Description("Replays the negotiation history as a table, statement by statement in the order they were made", Name = "replay")]
public sealed class ReplayCommand : JasperFxAsyncCommand<ReplayInput>
{
    private const int PageSize = 500;

    public override async Task<bool> Execute(ReplayInput input)
    {
        DateTimeOffset? from = null, to = null;
        if (input.FromFlag is not null) { if (Instants.TryParse(input.FromFlag, out var f, out _)) from = f; else return Refuse("--from"); }
        if (input.ToFlag is not null) { if (Instants.TryParseUpperBound(input.ToFlag, out var t)) to = t; else return Refuse("--to"); }
        if (Sources.EvidenceKinds.TryReadFilter(input.EvidenceFlag, out var kinds).IsProblem())
        {
            AnsiConsole.MarkupLineInterpolated($"[red]--evidence must list kinds from: {string.Join(", ", Sources.EvidenceKinds.All)}.[/]");
            return false;
        }

        using var host = input.BuildHost();
        var db = host.Services.GetRequiredService<NpgsqlDataSource>();
        var revisions = host.Services.GetRequiredService<RevisionTable>();
        var filter = new TimelineFilter(input.PartyFlag, input.IssueFlag, from, to, kinds);
        var knownAt = host.Services.GetRequiredService<TimeProvider>().GetUtcNow();

        var table = new Table().AddColumns("Stated", "Party", "Issue", "Stance", "Speaker", "Quote");
        var played = new List<StatementItem>();
        var count = 0;
        await AnsiConsole.Status().StartAsync("Reading the history...", async status =>
        {
            (DateTimeOffset, long)? after = null;
            while (true)
            {
                var page = await GetTimelineEndpoint.PageAsync(db, revisions, filter, knownAt, after, PageSize, CancellationToken.None);
                played.AddRange(page.Items);
                foreach (var s in page.Items)
                {
                    var party = s.ClaimedBy is null ? s.Party : $"{s.Party} [grey](claimed by {s.ClaimedBy.Party})[/]";
                    table.AddRow(s.StatedAt, party, Markup.Escape(s.Issue), StanceMarkup(s.Stance), Markup.Escape(s.Speaker),
                        Markup.Escape(Shorten(s.Quote)));
                }
                count += page.Items.Count;
                status.Status($"Read {count} statements...");
                if (page.Next is null) break;
                after = GetTimelineEndpoint.PositionAfter(page.Next);
            }
        });
        if (input.PlayFlag) await PlayAsync(played, TimeSpan.FromMilliseconds(Math.Max(0, input.PauseFlag)));
        else AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"[grey]{count} statements, as the ledger knows them at {knownAt:u}.[/]");
        return true;
    }

    /// <summary>Each change point (a distinct statedAt) in turn: what was said then, then a pause.</summary>
    private static async Task PlayAsync(List<StatementItem> items, TimeSpan pause)
    {
        var points = items.GroupBy(i => i.StatedAt).ToList();
        for (var i = 0; i < points.Count; i++)
        {
            AnsiConsole.Write(new Rule($"[bold]{points[i].Key}[/] [grey]({i + 1} of {points.Count})[/]").LeftJustified());
            foreach (var s in points[i])
            {
                var who = s.ClaimedBy is null ? s.Party : $"{s.ClaimedBy.Party} claims {s.Party}";
                AnsiConsole.MarkupLine($"  {Markup.Escape(who)} {StanceMarkup(s.Stance)} on {Markup.Escape(s.Issue)}: "
                    + $"{Markup.Escape(s.Speaker)}, \"{Markup.Escape(Shorten(s.Quote))}\"");
            }
            if (i < points.Count - 1) await Task.Delay(pause);
        }
    }

    private static bool Refuse(string flag)
    {
        AnsiConsole.MarkupLineInterpolated($"[red]{flag} must be {Instants.FormatHint}.[/]");
        return false;
    }

    private static string Shorten(string quote) => quote.Length <= 90 ? quote : quote[..87] + "...";

    private static string StanceMarkup(string stance) => stance switch
    {
        "proposes" or "supports" or "accepts" => $"[green]{stance}[/]",
        "conditional" => $"[yellow]{stance}[/]",
        "opposes" or "rejects" => $"[red]{stance}[/]",
        _ => $"[grey]{stance}[/]",
    };
}
