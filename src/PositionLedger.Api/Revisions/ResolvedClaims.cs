using Marten;
using Npgsql;
using PositionLedger.Infrastructure;
using Weasel.Postgresql.Tables;

namespace PositionLedger.Revisions;

/// <summary>
/// Analysis rule 6 kept as rows: each claim's resolver (its party's own next statement on the issue, with no bound in
/// valid time) as the ledger knew it, valid in record time from recorded_from until recorded_to, beside the claim's
/// content. Claims made is then one index-only walk of the claimant's rows: the resolver counts when its statedAt is
/// at or before asOf, else the claim is open (an evidence filter that passes over the resolver sends that claim to a
/// probe). A probe for every claim cost ~8-13 us each at 1,000,000 statements (docs/benchmarks.md, B7).
/// <para>
/// Kept by <see cref="StatementRevisionsProjection"/> after each transaction's revisions (<see cref="Statements.QueueIn"/>):
/// a new own statement at s changes the resolver of exactly the claims on its party and issue with statedAt in
/// [the previous own statedAt, s), and so does one that leaves s (a retraction, or a correction that moves or changes it),
/// so only those and the transaction's own claims are resolved again; a row changes only when its claim's revision or
/// resolver did. Rebuilt from the revision table by <see cref="ResolvedClaimsSweep"/>.
/// </para>
/// </summary>
public static class ResolvedClaims
{
    public const string TableName = "pl_resolved_claims";

    /// <summary>The columns of a row, in the order the writers give them.</summary>
    public static readonly IReadOnlyList<string> Columns =
    [
        "claim_id", "claim_version", "claimed_by", "stated_at", "statement_seq", "party", "issue", "stance", "stated_on_date",
        "speaker", "claimed_by_speaker", "evidence_kind", "resolver_id", "resolver_stated_at", "resolver_stance",
        "resolver_evidence_kind", "recorded_from", "recorded_to",
    ];

    public static Table DefineTable(string schema)
    {
        var table = new Table($"{schema}.{TableName}");
        table.AddColumn<Guid>("claim_id").AsPrimaryKey();
        table.AddColumn<long>("claim_version").NotNull();
        table.AddColumn<string>("claimed_by").NotNull();
        table.AddColumn<DateTimeOffset>("stated_at").NotNull();
        table.AddColumn<long>("statement_seq").NotNull();
        table.AddColumn<string>("party").NotNull();
        table.AddColumn<string>("issue").NotNull();
        table.AddColumn<string>("stance").NotNull();
        table.AddColumn<bool>("stated_on_date").NotNull();
        table.AddColumn<string>("speaker").NotNull();
        table.AddColumn<string>("claimed_by_speaker").NotNull();
        table.AddColumn<string>("evidence_kind").NotNull();
        table.AddColumn<Guid>("resolver_id");
        table.AddColumn<DateTimeOffset>("resolver_stated_at");
        table.AddColumn<string>("resolver_stance");
        // An evidence filter that lets the resolver through resolves the claim as it does unfiltered.
        table.AddColumn<string>("resolver_evidence_kind");
        table.AddColumn<DateTimeOffset>("recorded_from").AsPrimaryKey();
        table.AddColumn<DateTimeOffset>("recorded_to");

        // Covering: claims made reads every column from the index, in the order it answers.
        table.Indexes.Add(new IndexDefinition("ix_pl_resolved_claims_made")
        {
            Columns = ["claimed_by", "stated_at", "statement_seq"],
            IncludeColumns = ["recorded_from", "recorded_to", "claim_id", "party", "issue", "stance", "stated_on_date", "speaker",
                "claimed_by_speaker", "evidence_kind", "resolver_id", "resolver_stated_at", "resolver_stance", "resolver_evidence_kind"],
        });
        // The row a transaction compares with and closes. Not unique: the statement that closes a claim's row inserts its
        // successor, and PostgreSQL does not say which of the two it does first.
        table.Indexes.Add(new IndexDefinition("ix_pl_resolved_claims_current")
        {
            Columns = ["claim_id"],
            Predicate = "recorded_to is null",
        });
        return table;
    }

    /// <summary>The two statements for one revision table and its claim resolutions.</summary>
    public sealed class Statements(string revisions, string resolutions)
    {
        /// <summary>
        /// Queues, after one transaction's revision rows (all dated <paramref name="at"/>), the locks and the statement that
        /// resolve again the claims they affect.
        /// </summary>
        public void QueueIn(IDocumentOperations operations, Guid[] touched, DateTimeOffset at)
        {
            Lock.QueueIn(operations, touched, at);
            Resolve.QueueIn(operations, touched, at);
        }

        /// <summary>Runs both in the transaction given, for writers outside a Marten session (the bulk import).</summary>
        public async Task RunAsync(NpgsqlTransaction tx, Guid[] touched, DateTimeOffset at, CancellationToken ct)
        {
            foreach (var sql in new[] { Lock.Sql, Resolve.Sql })
            {
                await using var command = new NpgsqlCommand(sql, tx.Connection, tx)
                {
                    Parameters = { new() { Value = touched }, new() { Value = at.ToUniversalTime() } },
                };
                await command.ExecuteNonQueryAsync(ct);
            }
        }

        /// <summary>
        /// One lock per party and issue touched, taken in order, held to the commit: two transactions on one issue of one
        /// party resolve one after the other, each seeing the other's rows (its own statement, a new snapshot). Without it,
        /// a claim and the own statement that resolves it, appended at once, would each be resolved without the other.
        /// </summary>
        public BatchedSql Lock { get; } = new(
            $"""
            with given as (select ?::uuid[] as ids, ?::timestamptz as at)
            select count(pg_advisory_xact_lock(hashtextextended(g.party || '/' || g.issue, {LockSeed})))
            from (select distinct r.party, r.issue from {revisions} r, given
                  where r.statement_id = any(given.ids) and (r.recorded_from >= given.at or r.recorded_to >= given.at)
                  order by 1, 2) g
            """);

        /// <summary>
        /// Resolves again the claims whose resolver the touched revisions may have changed, and writes a new row for each
        /// whose revision or resolver differs from its current row. A current row dated at or after this transaction (one
        /// that committed first though it began later) is rewritten in place rather than closed, so no row's span is empty.
        /// </summary>
        public BatchedSql Resolve { get; } = new(
            $"""
            with given as (select ?::uuid[] as ids, ?::timestamptz as at),
            touched as (
                select r.statement_id, r.party, r.issue, r.stated_at, r.claimed_by
                from {revisions} r, given
                where r.statement_id = any(given.ids) and (r.recorded_from >= given.at or r.recorded_to >= given.at)),
            windows as (
                select t.party, t.issue, t.stated_at as upto,
                    (select o.stated_at from {revisions} o
                     where o.party = t.party and o.issue = t.issue and o.claimed_by is null and o.recorded_to is null
                       and o.stated_at < t.stated_at
                     order by o.stated_at desc limit 1) as since
                from (select distinct party, issue, stated_at from touched where claimed_by is null) t),
            affected as (
                select c.statement_id from windows w
                join {revisions} c on c.party = w.party and c.issue = w.issue and c.claimed_by is not null and c.recorded_to is null
                    and c.stated_at < w.upto and c.stated_at >= coalesce(w.since, '-infinity')
                union
                -- A claim of the transaction's, or a statement that was a claim before it (its closed revision is touched too).
                select statement_id from touched where claimed_by is not null),
            resolved as (
                select c.statement_id, c.version, c.claimed_by, c.stated_at, c.statement_seq, c.party, c.issue, c.stance,
                       c.stated_on_date, c.speaker, c.claimed_by_speaker, c.evidence_kind,
                       res.statement_id as resolver_id, res.stated_at as resolver_stated_at, res.stance as resolver_stance,
                       res.evidence_kind as resolver_evidence_kind
                from affected a
                join {revisions} c on c.statement_id = a.statement_id and c.recorded_to is null and c.claimed_by is not null
                left join lateral (
                    select o.statement_id, o.stated_at, o.stance, o.evidence_kind from {revisions} o
                    where o.party = c.party and o.issue = c.issue and o.claimed_by is null and o.recorded_to is null
                      and o.stated_at > c.stated_at
                    order by o.stated_at, o.statement_seq desc
                    limit 1) res on true),
            current_rows as (
                select x.claim_id, x.recorded_from, n.statement_id is not null as lives,
                       n.statement_id is not null and n.version = x.claim_version
                         and n.resolver_id is not distinct from x.resolver_id
                         and n.resolver_stated_at is not distinct from x.resolver_stated_at
                         and n.resolver_stance is not distinct from x.resolver_stance
                         and n.resolver_evidence_kind is not distinct from x.resolver_evidence_kind as unchanged
                from {resolutions} x
                join affected a on a.statement_id = x.claim_id
                left join resolved n on n.statement_id = x.claim_id
                where x.recorded_to is null),
            closed as (
                update {resolutions} x set recorded_to = given.at
                from current_rows c, given
                where x.claim_id = c.claim_id and x.recorded_to is null and not c.unchanged and c.recorded_from < given.at),
            dropped as (
                delete from {resolutions} x
                using current_rows c, given
                where x.claim_id = c.claim_id and x.recorded_to is null and not c.lives and c.recorded_from >= given.at),
            rewritten as (
                update {resolutions} x set
                    claim_version = n.version, claimed_by = n.claimed_by, stated_at = n.stated_at, statement_seq = n.statement_seq,
                    party = n.party, issue = n.issue, stance = n.stance, stated_on_date = n.stated_on_date, speaker = n.speaker,
                    claimed_by_speaker = n.claimed_by_speaker, evidence_kind = n.evidence_kind, resolver_id = n.resolver_id,
                    resolver_stated_at = n.resolver_stated_at, resolver_stance = n.resolver_stance,
                    resolver_evidence_kind = n.resolver_evidence_kind
                from current_rows c join resolved n on n.statement_id = c.claim_id, given
                where x.claim_id = c.claim_id and x.recorded_to is null and not c.unchanged and c.recorded_from >= given.at)
            insert into {resolutions} ({string.Join(", ", Columns)})
            select n.statement_id, n.version, n.claimed_by, n.stated_at, n.statement_seq, n.party, n.issue, n.stance,
                   n.stated_on_date, n.speaker, n.claimed_by_speaker, n.evidence_kind, n.resolver_id, n.resolver_stated_at,
                   n.resolver_stance, n.resolver_evidence_kind, given.at, null
            from resolved n, given
            where not exists (select 1 from current_rows c where c.claim_id = n.statement_id)
               or exists (select 1 from current_rows c where c.claim_id = n.statement_id and not c.unchanged and c.recorded_from < given.at)
            """);
    }

    private const int LockSeed = 0x504c_4352;
}
