using Npgsql;
using PositionLedger.Infrastructure;
using PositionLedger.Revisions;

namespace PositionLedger.Analysis;

/// <summary>
/// The walk of the basis index that flips, convergence and the issue series share: one party's own effective statements
/// on one issue at a record time, through the evidence filter, covering the range asked about and not the whole
/// history: the statement holding at the range's start (one probe), then each one inside the range. It reads the
/// index alone (the index carries the stance).
/// </summary>
public static class OwnStatementsWalk
{
    /// <summary>
    /// A subquery for <c>cross join lateral</c>, with <c>{0}</c> left for the revision table.
    /// </summary>
    /// <param name="party">SQL for the party (a parameter or an outer column).</param>
    /// <param name="issue">SQL for the issue.</param>
    /// <param name="columns">The columns of <c>x</c> to select.</param>
    /// <param name="fromInRange">
    /// Whether a statement stated exactly at @from lies inside the range (flips: [from, to]) rather than holding at its
    /// start (convergence and the series: the stance as of from, then (from, to]).
    /// </param>
    public static string Lateral(string party, string issue, string columns, bool fromInRange) => $$"""
        (
            (select {{columns}} from {0} x
             where x.party = {{party}} and x.issue = {{issue}} and x.claimed_by is null and x.stated_at {{(fromInRange ? "<" : "<=")}} @from
               and x.recorded_from <= @known_at and (x.recorded_to is null or x.recorded_to > @known_at)
               and x.evidence_kind = any(@kinds)
             order by x.stated_at desc, x.statement_seq desc
             limit 1)
            union all
            (select {{columns}} from {0} x
             where x.party = {{party}} and x.issue = {{issue}} and x.claimed_by is null
               and x.stated_at {{(fromInRange ? ">=" : ">")}} @from and x.stated_at <= @to
               and x.recorded_from <= @known_at and (x.recorded_to is null or x.recorded_to > @known_at)
               and x.evidence_kind = any(@kinds))
        )
        """;

    /// <summary>A command for <paramref name="sql"/> (with <c>{0}</c> for the table) and the walk's range parameters bound.</summary>
    public static NpgsqlCommand Command(
        NpgsqlDataSource db, RevisionTable table, string sql, AnalysisRange range, string[] kinds, NpgsqlConnection? replica)
    {
        var command = db.CommandOn(replica, string.Format(System.Globalization.CultureInfo.InvariantCulture, sql, table.QualifiedName));
        command.Parameters.AddWithValue("from", (range.From ?? DateTimeOffset.MinValue).ToUniversalTime());
        command.Parameters.AddWithValue("to", range.To.ToUniversalTime());
        command.Parameters.AddWithValue("known_at", range.KnownAt.ToUniversalTime());
        command.Parameters.AddWithValue("kinds", kinds);
        return command;
    }
}
