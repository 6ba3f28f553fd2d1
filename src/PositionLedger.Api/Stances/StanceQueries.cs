using System.Text.Json;
using Npgsql;
using PositionLedger.Infrastructure;
using PositionLedger.Statements;
using PositionLedger.Revisions;

namespace PositionLedger.Stances;

/// <summary>
/// The stance rules of DESIGN.md, answered from the revision table: per (party, issue) one index walk
/// for the basis and one for the open claims, so the cost stays flat however long the history grows.
/// </summary>
public static class StanceQueries
{
    // For every (party, issue) pair asked about: the basis is the party's own revision effective at
    // knownAt with the greatest statedAt <= asOf, ties to the statement first recorded later. Open
    // claims are those effective at knownAt with statedAt between the basis (inclusive) and asOf.
    // The walks select only indexed columns (index-only scans); the chosen revisions are then read by key.
    private const string Sql = """
        select p.party, i.issue,
               b.statement_id as basis_id, b.stance as basis_stance, b.stated_at as basis_stated_at,
               b.stated_on_date as basis_stated_on_date, b.speaker as basis_speaker, b.quote as basis_quote,
               b.conditions::text as basis_conditions,
               b.evidence_kind as basis_evidence_kind, c.evidence_kind as claim_evidence_kind,
               c.statement_id as claim_id, c.stance as claim_stance, c.stated_at as claim_stated_at,
               c.stated_on_date as claim_stated_on_date, c.speaker as claim_speaker, c.claimed_by as claimed_by,
               c.claimed_by_speaker as claimed_by_speaker
        from unnest(@parties) as p(party)
        cross join unnest(@issues) as i(issue)
        left join lateral (
            select r.statement_id, r.version, r.stated_at
            from {0} r
            where r.party = p.party and r.issue = i.issue and r.claimed_by is null
              and r.stated_at <= @as_of
              and r.recorded_from <= @known_at and (r.recorded_to is null or r.recorded_to > @known_at)
              and r.evidence_kind = any(@kinds)
            order by r.stated_at desc, r.statement_seq desc
            limit 1
        ) bk on true
        left join {0} b on b.statement_id = bk.statement_id and b.version = bk.version
        left join lateral (
            select r.statement_id, r.version
            from {0} r
            where r.party = p.party and r.issue = i.issue and r.claimed_by is not null
              and r.stated_at <= @as_of and r.stated_at >= coalesce(bk.stated_at, '-infinity')
              and r.recorded_from <= @known_at and (r.recorded_to is null or r.recorded_to > @known_at)
              and r.evidence_kind = any(@kinds)
        ) ck on true
        left join {0} c on c.statement_id = ck.statement_id and c.version = ck.version
        where bk.statement_id is not null or ck.statement_id is not null
        order by p.party, i.issue, c.stated_at, c.statement_id
        """;

    public static async Task<IReadOnlyDictionary<string, IReadOnlyList<IssueStance>>> StancesAsync(
        StanceDataSource db, RevisionTable table, string[] parties, string[] issues,
        DateTimeOffset asOf, DateTimeOffset knownAt, CancellationToken ct, string[]? evidenceKinds = null,
        NpgsqlConnection? replica = null)
    {
        await using var command = db.Value.CommandOn(replica,
            string.Format(System.Globalization.CultureInfo.InvariantCulture, Sql, table.QualifiedName));
        command.Parameters.AddWithValue("parties", parties);
        command.Parameters.AddWithValue("issues", issues);
        command.Parameters.AddWithValue("as_of", asOf.ToUniversalTime());
        command.Parameters.AddWithValue("known_at", knownAt.ToUniversalTime());
        // The evidence filter: statements of other kinds do not exist for this answer (rules 2 and 3 run without them).
        command.Parameters.AddWithValue("kinds", evidenceKinds ?? Sources.EvidenceKinds.All);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var row = new Row(reader);

        var result = new Dictionary<string, List<IssueStance>>();
        IssueStance? current = null;
        string? currentParty = null;
        while (await reader.ReadAsync(ct))
        {
            var party = row.Party;
            var issue = row.Issue;
            if (current is null || currentParty != party || current.Issue != issue)
            {
                current = row.Basis();
                currentParty = party;
                if (!result.TryGetValue(party, out var list)) result[party] = list = [];
                list.Add(current);
            }
            if (row.Claim() is { } claim) ((List<ClaimView>)current.Claims).Add(claim);
        }

        // Rule 5: an issue whose basis withdrew the stance and has no open claims says nothing.
        return result.ToDictionary(
            kv => kv.Key,
            kv => (IReadOnlyList<IssueStance>)kv.Value.Where(s => s.Stance is not null || s.Claims.Count > 0).ToList());
    }

    /// <summary>The query's columns, read by name (each name looked up once per result).</summary>
    private sealed class Row(NpgsqlDataReader reader)
    {
        private readonly int _party = reader.GetOrdinal("party");
        private readonly int _issue = reader.GetOrdinal("issue");
        private readonly int _basisId = reader.GetOrdinal("basis_id");
        private readonly int _basisStance = reader.GetOrdinal("basis_stance");
        private readonly int _basisStatedAt = reader.GetOrdinal("basis_stated_at");
        private readonly int _basisStatedOnDate = reader.GetOrdinal("basis_stated_on_date");
        private readonly int _basisSpeaker = reader.GetOrdinal("basis_speaker");
        private readonly int _basisQuote = reader.GetOrdinal("basis_quote");
        private readonly int _basisConditions = reader.GetOrdinal("basis_conditions");
        private readonly int _basisEvidenceKind = reader.GetOrdinal("basis_evidence_kind");
        private readonly int _claimEvidenceKind = reader.GetOrdinal("claim_evidence_kind");
        private readonly int _claimId = reader.GetOrdinal("claim_id");
        private readonly int _claimStance = reader.GetOrdinal("claim_stance");
        private readonly int _claimStatedAt = reader.GetOrdinal("claim_stated_at");
        private readonly int _claimStatedOnDate = reader.GetOrdinal("claim_stated_on_date");
        private readonly int _claimSpeaker = reader.GetOrdinal("claim_speaker");
        private readonly int _claimedBy = reader.GetOrdinal("claimed_by");
        private readonly int _claimedBySpeaker = reader.GetOrdinal("claimed_by_speaker");

        public string Party => reader.GetString(_party);

        public string Issue => reader.GetString(_issue);

        /// <summary>The row's basis (none when it is only claims), with no stance when it withdrew.</summary>
        public IssueStance Basis()
        {
            if (reader.IsDBNull(_basisId)) return new IssueStance(Issue, null, [], null, null, null, new List<ClaimView>());
            var stance = reader.GetString(_basisStance);
            var withdrawn = stance == Stance.Withdraws.Word();
            return new IssueStance(
                Issue,
                withdrawn ? null : stance,
                withdrawn ? [] : JsonSerializer.Deserialize<string[]>(reader.GetString(_basisConditions)) ?? [],
                Instants.Format(reader.GetFieldValue<DateTimeOffset>(_basisStatedAt), reader.GetBoolean(_basisStatedOnDate)),
                reader.GetGuid(_basisId).ToString(),
                reader.GetString(_basisSpeaker),
                new List<ClaimView>(),
                reader.GetString(_basisEvidenceKind),
                reader.GetString(_basisQuote));
        }

        public ClaimView? Claim() => reader.IsDBNull(_claimId) ? null : new ClaimView(
            reader.GetGuid(_claimId).ToString(),
            new ClaimedBy(reader.GetString(_claimedBy), reader.GetString(_claimedBySpeaker)),
            reader.GetString(_claimSpeaker),
            reader.GetString(_claimStance),
            Instants.Format(reader.GetFieldValue<DateTimeOffset>(_claimStatedAt), reader.GetBoolean(_claimStatedOnDate)),
            reader.GetString(_claimEvidenceKind));
    }
}
