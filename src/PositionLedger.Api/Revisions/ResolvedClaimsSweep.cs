using Npgsql;
using NpgsqlTypes;

namespace PositionLedger.Revisions;

/// <summary>
/// Writes every claim resolution row from a complete revision table, for a rebuild: one pass over each party's issue in
/// record time, which keeps that issue's own statements and claims in statedAt order and, at each moment the ledger
/// changed, resolves again the same claims the projection would (<see cref="ResolvedClaims"/>). Done in the app, since
/// a claim's resolver over record time is a running minimum that SQL would compute with a probe per change.
/// </summary>
public static class ResolvedClaimsSweep
{
    private sealed record Revision(
        Guid Id, long Version, string Party, string Issue, string? ClaimedBy, DateTimeOffset StatedAt, long Seq, string Stance,
        bool StatedOnDate, string Speaker, string? ClaimedBySpeaker, string EvidenceKind, DateTimeOffset From, DateTimeOffset? To);

    private sealed record Row(Revision Claim, Revision? Resolver, DateTimeOffset From)
    {
        public DateTimeOffset? To { get; set; }
    }

    /// <summary>Reads <paramref name="revisions"/> and copies the rows into <paramref name="target"/>; returns how many.</summary>
    public static async Task<long> WriteAsync(NpgsqlDataSource db, string revisions, string target, CancellationToken ct)
    {
        await using var reading = await db.OpenConnectionAsync(ct);
        await using var writing = await db.OpenConnectionAsync(ct);
        await using (var memory = new NpgsqlCommand("set work_mem = '512MB'", reading)) await memory.ExecuteNonQueryAsync(ct);
        await using var read = new NpgsqlCommand(
            $"""
            select statement_id, version, party, issue, claimed_by, stated_at, statement_seq, stance, stated_on_date, speaker,
                   claimed_by_speaker, evidence_kind, recorded_from, recorded_to
            from {revisions} order by party, issue
            """, reading);
        await using var rows = await read.ExecuteReaderAsync(ct);
        await using var copy = await writing.BeginBinaryImportAsync(
            $"copy {target} ({string.Join(", ", ResolvedClaims.Columns)}) from stdin (format binary)", ct);

        long written = 0;
        var group = new List<Revision>();
        while (await rows.ReadAsync(ct))
        {
            var revision = new Revision(
                rows.GetGuid(0), rows.GetInt64(1), rows.GetString(2), rows.GetString(3), rows.IsDBNull(4) ? null : rows.GetString(4),
                rows.GetFieldValue<DateTimeOffset>(5), rows.GetInt64(6), rows.GetString(7), rows.GetBoolean(8), rows.GetString(9),
                rows.IsDBNull(10) ? null : rows.GetString(10), rows.GetString(11), rows.GetFieldValue<DateTimeOffset>(12),
                rows.IsDBNull(13) ? null : rows.GetFieldValue<DateTimeOffset>(13));
            if (group.Count > 0 && (group[0].Party != revision.Party || group[0].Issue != revision.Issue))
            {
                written += await WriteGroupAsync(copy, group, ct);
                group.Clear();
            }
            group.Add(revision);
        }
        if (group.Count > 0) written += await WriteGroupAsync(copy, group, ct);
        await copy.CompleteAsync(ct);
        return written;
    }

    /// <summary>The rows of one party's issue.</summary>
    private static async Task<long> WriteGroupAsync(NpgsqlBinaryImporter copy, List<Revision> group, CancellationToken ct)
    {
        var rows = Resolve(group);
        foreach (var row in rows)
        {
            var c = row.Claim;
            await copy.StartRowAsync(ct);
            await copy.WriteAsync(c.Id, NpgsqlDbType.Uuid, ct);
            await copy.WriteAsync(c.Version, NpgsqlDbType.Bigint, ct);
            await copy.WriteAsync(c.ClaimedBy!, NpgsqlDbType.Text, ct);
            await copy.WriteAsync(c.StatedAt, NpgsqlDbType.TimestampTz, ct);
            await copy.WriteAsync(c.Seq, NpgsqlDbType.Bigint, ct);
            await copy.WriteAsync(c.Party, NpgsqlDbType.Text, ct);
            await copy.WriteAsync(c.Issue, NpgsqlDbType.Text, ct);
            await copy.WriteAsync(c.Stance, NpgsqlDbType.Text, ct);
            await copy.WriteAsync(c.StatedOnDate, NpgsqlDbType.Boolean, ct);
            await copy.WriteAsync(c.Speaker, NpgsqlDbType.Text, ct);
            await copy.WriteAsync(c.ClaimedBySpeaker ?? "", NpgsqlDbType.Text, ct);
            await copy.WriteAsync(c.EvidenceKind, NpgsqlDbType.Text, ct);
            if (row.Resolver is { } r)
            {
                await copy.WriteAsync(r.Id, NpgsqlDbType.Uuid, ct);
                await copy.WriteAsync(r.StatedAt, NpgsqlDbType.TimestampTz, ct);
                await copy.WriteAsync(r.Stance, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(r.EvidenceKind, NpgsqlDbType.Text, ct);
            }
            else
            {
                for (var i = 0; i < 4; i++) await copy.WriteNullAsync(ct);
            }
            await copy.WriteAsync(row.From, NpgsqlDbType.TimestampTz, ct);
            if (row.To is { } to) await copy.WriteAsync(to, NpgsqlDbType.TimestampTz, ct);
            else await copy.WriteNullAsync(ct);
        }
        return rows.Count;
    }

    /// <summary>
    /// Every resolution row of one party's issue: the ledger's moments (the distinct record times) in order, and at each
    /// the claims whose resolver may have changed, as <see cref="ResolvedClaims"/> finds them.
    /// </summary>
    private static List<Row> Resolve(List<Revision> group)
    {
        var moments = new SortedDictionary<DateTimeOffset, (List<Revision> Opened, List<Revision> Closed)>();
        (List<Revision> Opened, List<Revision> Closed) At(DateTimeOffset at)
        {
            if (!moments.TryGetValue(at, out var moment)) moments[at] = moment = ([], []);
            return moment;
        }
        // A revision replaced at the record time it was made (in one transaction, stamped alike) was never in force.
        foreach (var revision in group.Where(r => r.To != r.From))
        {
            At(revision.From).Opened.Add(revision);
            if (revision.To is { } to) At(to).Closed.Add(revision);
        }

        // Own statements by statedAt, the one first recorded later first among equals (rule 2's order); claims by statedAt.
        var own = new List<Revision>();
        var claims = new List<Revision>();
        var effectiveClaims = new Dictionary<Guid, Revision>();
        var open = new Dictionary<Guid, Row>();
        var rows = new List<Row>();
        foreach (var (at, (opened, closed)) in moments)
        {
            var affected = new HashSet<Guid>();
            var positions = new List<DateTimeOffset>();
            foreach (var revision in closed) Apply(revision, add: false);
            foreach (var revision in opened) Apply(revision, add: true);
            void Apply(Revision revision, bool add)
            {
                var list = revision.ClaimedBy is null ? own : claims;
                var index = list.BinarySearch(revision, revision.ClaimedBy is null ? OwnOrder : ClaimOrder);
                if (add) list.Insert(~index, revision);
                else list.RemoveAt(index);
                if (revision.ClaimedBy is null)
                {
                    positions.Add(revision.StatedAt);
                    return;
                }
                affected.Add(revision.Id);
                if (add) effectiveClaims[revision.Id] = revision;
                else effectiveClaims.Remove(revision.Id);
            }

            foreach (var s in positions)
            {
                var next = FirstWhere(own, o => o.StatedAt >= s);
                var since = next == 0 ? DateTimeOffset.MinValue : own[next - 1].StatedAt;
                for (var i = FirstWhere(claims, c => c.StatedAt >= since); i < claims.Count && claims[i].StatedAt < s; i++)
                    affected.Add(claims[i].Id);
            }

            foreach (var id in affected)
            {
                open.TryGetValue(id, out var row);
                if (!effectiveClaims.TryGetValue(id, out var claim))
                {
                    if (row is null) continue;
                    row.To = at;
                    open.Remove(id);
                    continue;
                }
                var first = FirstWhere(own, o => o.StatedAt > claim.StatedAt);
                var resolver = first < own.Count ? own[first] : null;
                if (row is not null && row.Claim.Version == claim.Version && row.Resolver?.Id == resolver?.Id
                    && row.Resolver?.StatedAt == resolver?.StatedAt && row.Resolver?.Stance == resolver?.Stance
                    && row.Resolver?.EvidenceKind == resolver?.EvidenceKind)
                    continue;
                if (row is not null) row.To = at;
                open[id] = new Row(claim, resolver, at);
                rows.Add(open[id]);
            }
        }
        return rows;
    }

    private static readonly Comparer<Revision> OwnOrder = Comparer<Revision>.Create((a, b) =>
        a.StatedAt != b.StatedAt ? a.StatedAt.CompareTo(b.StatedAt) : b.Seq.CompareTo(a.Seq));

    private static readonly Comparer<Revision> ClaimOrder = Comparer<Revision>.Create((a, b) =>
        a.StatedAt != b.StatedAt ? a.StatedAt.CompareTo(b.StatedAt) : a.Seq.CompareTo(b.Seq));

    /// <summary>The index of the first item for which <paramref name="atOrAfter"/> holds (it holds for every later one).</summary>
    private static int FirstWhere(List<Revision> sorted, Func<Revision, bool> atOrAfter)
    {
        var (low, high) = (0, sorted.Count);
        while (low < high)
        {
            var middle = (low + high) / 2;
            if (atOrAfter(sorted[middle])) high = middle;
            else low = middle + 1;
        }
        return low;
    }
}
