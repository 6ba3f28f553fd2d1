using System.Text.Json;
using Npgsql;
using PositionLedger.Infrastructure;
using PositionLedger.Statements;

namespace PositionLedger.Revisions;

public static class RevisionRows
{
    /// <summary>The columns <see cref="Read"/> expects, in order, for a revision table aliased <c>r</c>.</summary>
    public const string Columns = """
        r.statement_id, r.version, r.recorded_from, r.party, r.issue, r.stance, r.speaker, r.quote,
        r.stated_at, r.stated_on_date, r.source::text, r.conditions::text, r.claimed_by, r.claimed_by_speaker, r.statement_seq
        """;

    /// <summary>The record-time filter: the revision was the statement's content at knownAt.</summary>
    public const string EffectiveAtKnownAt = "r.recorded_from <= @known_at and (r.recorded_to is null or r.recorded_to > @known_at)";

    public static StatementItem Read(NpgsqlDataReader row)
    {
        var stance = StanceWords.ByWord[row.GetString(5)];
        var source = JsonSerializer.Deserialize<Source>(row.GetString(10), JsonSerializerOptions.Web)!;
        return new StatementItem(
            row.GetGuid(0).ToString(),
            row.GetInt64(1),
            row.GetFieldValue<DateTimeOffset>(2),
            row.GetString(3),
            row.GetString(4),
            stance.Word(),
            stance.Score(),
            row.GetString(6),
            row.GetString(7),
            Instants.Format(row.GetFieldValue<DateTimeOffset>(8), row.GetBoolean(9)),
            new SourceView(source.Outlet, source.Url, source.PublishedAt is { } p ? Instants.Format(p, false) : null),
            JsonSerializer.Deserialize<string[]>(row.GetString(11)) ?? [],
            row.IsDBNull(12) ? null : new ClaimedBy(row.GetString(12), row.GetString(13)));
    }

    /// <summary>Position of a row in statedAt order, for cursors: statedAt, then the statement's first sequence.</summary>
    public static (DateTimeOffset StatedAt, long StatementSeq) OrderKey(NpgsqlDataReader row) =>
        (row.GetFieldValue<DateTimeOffset>(8), row.GetInt64(14));
}
