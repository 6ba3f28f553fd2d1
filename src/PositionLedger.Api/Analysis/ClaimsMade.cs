using Marten;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using PositionLedger.Infrastructure;
using PositionLedger.Parties;
using PositionLedger.Reviews;
using PositionLedger.Revisions;
using PositionLedger.Sources;
using PositionLedger.Stances;
using PositionLedger.Statements;
using Wolverine.Http;

namespace PositionLedger.Analysis;

public sealed record ClaimMade(
    string StatementId, string About, string Issue, string Stance, string StatedAt, string Speaker, ClaimedBy ClaimedBy,
    string EvidenceKind, string Resolution, string? ResolvedBy);

public sealed record ClaimTotals(int Made, int BorneOut, int Contradicted, int Open);

public sealed record PartyClaimsMade(
    string Party, DateTimeOffset AsOf, DateTimeOffset KnownAt, IReadOnlyList<ClaimMade> Claims, ClaimTotals Totals);

/// <summary>
/// Rule 6 of docs/design.md: every claim a party made about another, and whether the other's own next statement
/// bore it out. One index-only walk of the party's rows in the resolved claims (<see cref="ResolvedClaims"/>); with an
/// evidence filter that passes over a claim's resolver, two short index-only walks of the basis index (it carries the
/// stance) for that claim.
/// </summary>
public static class ClaimsMadeEndpoint
{
    // Each claim's resolver as the ledger knew it at knownAt; it resolves the claim when it was stated by asOf.
    private const string ResolvedSql = """
        select c.claim_id, c.party, c.issue, c.stance, c.stated_at, c.stated_on_date, c.speaker, c.claimed_by,
               c.claimed_by_speaker, c.evidence_kind,
               case when c.resolver_stated_at <= @as_of then c.resolver_id end as resolved_by,
               case when c.resolver_stated_at <= @as_of then c.resolver_stance end as resolved_stance
        from {1} c
        where c.claimed_by = @party and c.stated_at <= @as_of
          and c.recorded_from <= @known_at and (c.recorded_to is null or c.recorded_to > @known_at)
        order by c.stated_at, c.statement_seq
        """;

    // With an evidence filter: a claim whose resolver passes the filter resolves as it does unfiltered (the first own
    // statement after it is also the first that passes); otherwise the first own statement that passes, if any, by two
    // short walks of the basis index: the smallest statedAt after the claim (and at or before asOf), then among equals
    // the one first recorded later (rule 2's tie).
    private const string FilteredSql = """
        select c.claim_id, c.party, c.issue, c.stance, c.stated_at, c.stated_on_date, c.speaker, c.claimed_by,
               c.claimed_by_speaker, c.evidence_kind,
               case when c.resolver_evidence_kind = any(@kinds)
                    then case when c.resolver_stated_at <= @as_of then c.resolver_id end else res.statement_id end as resolved_by,
               case when c.resolver_evidence_kind = any(@kinds)
                    then case when c.resolver_stated_at <= @as_of then c.resolver_stance end else res.stance end as resolved_stance
        from {1} c
        left join lateral (
            select f.stated_at from {0} f
            where c.resolver_evidence_kind <> all(@kinds)
              and f.party = c.party and f.issue = c.issue and f.claimed_by is null
              and f.stated_at > c.stated_at and f.stated_at <= @as_of
              and f.recorded_from <= @known_at and (f.recorded_to is null or f.recorded_to > @known_at)
              and f.evidence_kind = any(@kinds)
            order by f.stated_at
            limit 1
        ) earliest on true
        left join lateral (
            select r.statement_id, r.stance from {0} r
            where r.party = c.party and r.issue = c.issue and r.claimed_by is null and r.stated_at = earliest.stated_at
              and r.recorded_from <= @known_at and (r.recorded_to is null or r.recorded_to > @known_at)
              and r.evidence_kind = any(@kinds)
            order by r.statement_seq desc
            limit 1
        ) res on true
        where c.claimed_by = @party and c.stated_at <= @as_of
          and c.recorded_from <= @known_at and (c.recorded_to is null or c.recorded_to > @known_at)
          and c.evidence_kind = any(@kinds)
        order by c.stated_at, c.statement_seq
        """;

    [WolverineGet("/api/parties/{party}/claims-made", OperationId = "getClaimsMade")]
    [Tags(ApiTags.Analysis)]
    [EndpointSummary("The claims a party made about others, and how they resolved")]
    [EndpointDescription("Every effective claim made by the party (claimedBy.party) with statedAt up to asOf, each resolved by "
        + "the claimed party's own next statement on the issue (the smallest statedAt after the claim, up to asOf): borne-out "
        + "when its sign class (positive, neutral, negative, none) equals the claim's, contradicted when it differs, open while "
        + "there is none; with the totals.")]
    [Parameter("party", "The claiming party's slug, e.g. ukraine.", Value = ParameterValue.Slug, Example = "ukraine")]
    [Parameter("asOf", "Valid time; a date means through the end of that UTC day. Default: now.",
        Value = ParameterValue.DateOrInstant, Example = "2025-03-13")]
    [EvidenceFilter(Example = "direct-quote")]
    [PendingView]
    [Parameter("knownAt", "Record time; a date means through the end of that UTC day. Default: now.",
        Value = ParameterValue.DateOrInstant)]
    public static async Task<Results<Ok<PartyClaimsMade>, ProblemHttpResult>> Get(
        string party, string? asOf, string? knownAt, string? evidence, string? view,
        IQuerySession session, StanceDataSource db, PendingPreview previews, HttpContext context, RevisionTable table,
        TimeProvider clock, CancellationToken ct)
    {
        var problem = Clocks.TryRead(asOf, knownAt, clock, out var clocks);
        if (problem.IsProblem()) return TypedResults.Problem(problem);
        problem = EvidenceKinds.TryReadFilter(evidence, out var kinds);
        if (problem.IsProblem()) return TypedResults.Problem(problem);
        problem = PendingPreview.TryRead(view, context, out var preview);
        if (problem.IsProblem()) return TypedResults.Problem(problem);
        if (await session.LoadAsync<Party>(party, ct) is null)
            return TypedResults.Problem(Problems.NotFound($"No party '{party}' is registered."));

        await using var connection = await previews.OpenForAsync(context, preview, clocks.KnownAt, ct);
        var claims = await ReadAsync(db.Value, table, party, clocks, kinds, ct, connection);
        var totals = new ClaimTotals(claims.Count,
            claims.Count(c => c.Resolution == ClaimResolutions.BorneOut),
            claims.Count(c => c.Resolution == ClaimResolutions.Contradicted),
            claims.Count(c => c.Resolution == ClaimResolutions.Open));
        return TypedResults.Ok(new PartyClaimsMade(party, clocks.AsOf, clocks.KnownAt, claims, totals));
    }

    public static async Task<List<ClaimMade>> ReadAsync(
        NpgsqlDataSource db, RevisionTable table, string party, Clocks clocks, string[] kinds, CancellationToken ct,
        NpgsqlConnection? replica = null)
    {
        var filtered = EvidenceKinds.All.Except(kinds).Any();
        await using var command = db.CommandOn(replica, string.Format(System.Globalization.CultureInfo.InvariantCulture,
            filtered ? FilteredSql : ResolvedSql, table.QualifiedName, table.ResolvedClaims));
        command.Parameters.AddWithValue("party", party);
        command.Parameters.AddWithValue("as_of", clocks.AsOf.ToUniversalTime());
        command.Parameters.AddWithValue("known_at", clocks.KnownAt.ToUniversalTime());
        if (filtered) command.Parameters.AddWithValue("kinds", kinds);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var claims = new List<ClaimMade>();
        while (await reader.ReadAsync(ct))
        {
            var stance = StanceWords.ByWord[reader.GetString(3)];
            Stance? resolvedAs = reader.IsDBNull(11) ? null : StanceWords.ByWord[reader.GetString(11)];
            claims.Add(new ClaimMade(
                reader.GetGuid(0).ToString(),
                reader.GetString(1),
                reader.GetString(2),
                stance.Word(),
                Instants.Format(reader.GetFieldValue<DateTimeOffset>(4), reader.GetBoolean(5)),
                reader.GetString(6),
                new ClaimedBy(reader.GetString(7), reader.GetString(8)),
                reader.GetString(9),
                ClaimResolutions.Of(stance, resolvedAs),
                reader.IsDBNull(10) ? null : reader.GetGuid(10).ToString()));
        }
        return claims;
    }
}
