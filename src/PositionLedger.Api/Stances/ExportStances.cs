using System.Globalization;
using System.Text;
using CsvHelper;
using CsvHelper.Configuration;
using CsvHelper.Configuration.Attributes;
using Marten;
using PositionLedger.Infrastructure;
using PositionLedger.Issues;
using PositionLedger.Parties;
using PositionLedger.Reviews;
using PositionLedger.Revisions;
using PositionLedger.Sources;
using PositionLedger.Statements;
using Wolverine.Http;

namespace PositionLedger.Stances;

/// <summary>
/// The stance matrix as CSV for a user's own tools (spreadsheets, R, pandas): RFC 4180, UTF-8, a header row, one row
/// per party and issue. A cell that a spreadsheet would run as a formula (=, +, -, @, tab, CR) is escaped by CsvHelper.
/// </summary>
public static class ExportStancesEndpoint
{
    public const string MediaType = "text/csv; charset=utf-8; header=present";

    private static readonly CsvConfiguration Csv = new(CultureInfo.InvariantCulture)
    {
        NewLine = "\r\n",
        InjectionOptions = InjectionOptions.Escape,
        // Not '-': it would escape every negative score. Text that starts with one is escaped by Text() below.
        InjectionCharacters = ['=', '@', '+', '\t', '\r'],
    };

    private static string? Text(string? value) => value is ['-', ..] ? "'" + value : value;

    private sealed record Row(
        [property: Name("party")] string Party,
        [property: Name("issue")] string Issue,
        [property: Name("stance")] string? Stance,
        [property: Name("score")] int? Score,
        [property: Name("statedAt")] string? StatedAt,
        [property: Name("speaker")] string? Speaker,
        [property: Name("quote")] string? Quote,
        [property: Name("evidenceKind")] string? EvidenceKind,
        [property: Name("openClaims")] int OpenClaims);

    [WolverineGet("/api/stances.csv", OperationId = "exportStances")]
    [Tags(ApiTags.Stances)]
    [EndpointSummary("Every party's stance on each issue, as CSV")]
    [EndpointDescription("The stance matrix of getStances as RFC 4180 CSV (UTF-8, header row): party, issue, stance, score, "
        + "statedAt, speaker, quote, evidenceKind, openClaims; one row per party and issue with a stance or open claims. "
        + "Cells that would start a spreadsheet formula are escaped.")]
    [Parameter("asOf", "Valid time; a date means through the end of that UTC day. Default: now.",
        Value = ParameterValue.DateOrInstant, Example = "2025-03-13")]
    [EvidenceFilter(Example = "direct-quote")]
    [PendingView]
    [Parameter("knownAt", "Record time; a date means through the end of that UTC day. Default: now.",
        Value = ParameterValue.DateOrInstant)]
    [Microsoft.AspNetCore.Mvc.ProducesResponseType<string>(StatusCodes.Status200OK, "text/csv")]
    public static async Task<IResult> Get(
        string? asOf, string? knownAt, string? evidence, string? view, IQuerySession session, StanceDataSource db, PendingPreview previews,
        HttpContext context, RevisionTable table, TimeProvider clock, CancellationToken ct)
    {
        var problem = Clocks.TryRead(asOf, knownAt, clock, out var clocks);
        if (problem.IsProblem()) return TypedResults.Problem(problem);
        problem = EvidenceKinds.TryReadFilter(evidence, out var kinds);
        if (problem.IsProblem()) return TypedResults.Problem(problem);
        problem = PendingPreview.TryRead(view, context, out var preview);
        if (problem.IsProblem()) return TypedResults.Problem(problem);

        var parties = await session.Query<Party>().OrderBy(p => p.Id).Select(p => p.Id).ToListAsync(ct);
        var issues = await session.Query<Issue>().Select(i => i.Id).ToListAsync(ct);
        await using var connection = await previews.OpenForAsync(context, preview, clocks.KnownAt, ct);
        var stances = await StanceQueries.StancesAsync(
            db, table, [.. parties], [.. issues], clocks.AsOf, clocks.KnownAt, ct, kinds, connection);
        var rows = parties.SelectMany(party => (stances.GetValueOrDefault(party) ?? []).Select(s => new Row(
            party, s.Issue, s.Stance, s.Stance is { } word ? StanceWords.ByWord[word].Score() : null, s.StatedAt, Text(s.Speaker),
            Text(s.Quote), s.EvidenceKind, s.Claims.Count)));

        var text = new StringBuilder();
        await using (var writer = new CsvWriter(new StringWriter(text, CultureInfo.InvariantCulture), Csv))
        {
            await writer.WriteRecordsAsync(rows, ct);
        }
        return TypedResults.Text(text.ToString(), MediaType, Encoding.UTF8);
    }
}
