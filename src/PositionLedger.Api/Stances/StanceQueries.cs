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
               b.statement_id, b.stance, b.stated_at, b.stated_on_date, b.speaker, b.conditions,
               c.statement_id, c.stance, c.stated_at, c.stated_on_date, c.speaker, c.claimed_by, c.claimed_by_speaker
        from unnest(@parties) as p(party)
        cross join unnest(@issues) as i(issue)
        left join lateral (
            select r.statement_id, r.version, r.stated_at
            from {0} r
            where r.party = p.party and r.issue = i.issue and r.claimed_by is null
              and r.stated_at <= @as_of
              and r.recorded_from <= @known_at and (r.recorded_to is null or r.recorded_to > @known_at)
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
        ) ck on true
        left join {0} c on c.statement_id = ck.statement_id and c.version = ck.version
        where bk.statement_id is not null or ck.statement_id is not null
        order by p.party, i.issue, c.stated_at, c.statement_id
        """;

    public static async Task<IReadOnlyDictionary<string, IReadOnlyList<IssueStance>>> StancesAsync(
        StanceDataSource db, RevisionTable table, string[] parties, string[] issues,
        DateTimeOffset asOf, DateTimeOffset knownAt, CancellationToken ct)
    {
        await using var command = db.Value.CreateCommand(string.Format(System.Globalization.CultureInfo.InvariantCulture, Sql, table.QualifiedName));
        command.Parameters.AddWithValue("parties", parties);
        command.Parameters.AddWithValue("issues", issues);
        command.Parameters.AddWithValue("as_of", asOf.ToUniversalTime());
        command.Parameters.AddWithValue("known_at", knownAt.ToUniversalTime());
        await using var reader = await command.ExecuteReaderAsync(ct);

        var result = new Dictionary<string, List<IssueStance>>();
        IssueStance? current = null;
        string? currentParty = null;
        while (await reader.ReadAsync(ct))
        {
            var party = reader.GetString(0);
            var issue = reader.GetString(1);
            if (current is null || currentParty != party || current.Issue != issue)
            {
                current = ReadBasis(reader, issue);
                currentParty = party;
                if (!result.TryGetValue(party, out var list)) result[party] = list = [];
                list.Add(current);
            }
            if (!reader.IsDBNull(8))
            {
                ((List<ClaimView>)current.Claims).Add(new ClaimView(
                    reader.GetGuid(8).ToString(),
                    new ClaimedBy(reader.GetString(13), reader.GetString(14)),
                    reader.GetString(12),
                    reader.GetString(9),
                    Instants.Format(reader.GetFieldValue<DateTimeOffset>(10), reader.GetBoolean(11))));
            }
        }

        // Rule 5: an issue whose basis withdrew the stance and has no open claims says nothing.
        return result.ToDictionary(
            kv => kv.Key,
            kv => (IReadOnlyList<IssueStance>)kv.Value.Where(s => s.Stance is not null || s.Claims.Count > 0).ToList());
    }

    private static IssueStance ReadBasis(NpgsqlDataReader reader, string issue)
    {
        if (reader.IsDBNull(2)) return new IssueStance(issue, null, [], null, null, null, new List<ClaimView>());
        var stance = reader.GetString(3);
        var withdrawn = stance == Stance.Withdraws.Word();
        return new IssueStance(
            issue,
            withdrawn ? null : stance,
            withdrawn ? [] : JsonSerializer.Deserialize<string[]>(reader.GetString(7)) ?? [],
            Instants.Format(reader.GetFieldValue<DateTimeOffset>(4), reader.GetBoolean(5)),
            reader.GetGuid(2).ToString(),
            reader.GetString(6),
            new List<ClaimView>());
    }
}
