using System.Text.Json;
using Npgsql;
using PositionLedger.Infrastructure;
using PositionLedger.Statements;

namespace PositionLedger.Revisions;

/// <summary>
/// The revision row's one owner: its column names, the order in which every writer lists them (the
/// projection's insert, the rows written from stored events), and the columns readers select and read
/// by name (<see cref="Reader"/>).
/// </summary>
public static class RevisionRows
{
    public const string StatementId = "statement_id";
    public const string Version = "version";
    public const string Party = "party";
    public const string Issue = "issue";
    public const string Stance = "stance";
    public const string Speaker = "speaker";
    public const string Quote = "quote";
    public const string StatedAt = "stated_at";
    public const string StatedOnDate = "stated_on_date";
    public const string Conditions = "conditions";
    public const string Source = "source";
    public const string ClaimedBy = "claimed_by";
    public const string ClaimedBySpeaker = "claimed_by_speaker";

    /// <summary>direct-quote, paraphrase, reported-act, inference, or unanchored (no evidence): what the evidence filter reads.</summary>
    public const string EvidenceKind = "evidence_kind";

    /// <summary>The evidence as stored on the statement (kind and anchors), or null: what a source's annotations read.</summary>
    public const string Evidence = "evidence";

    /// <summary>The sequence of the statement's first event: ties on statedAt go to the statement recorded later.</summary>
    public const string StatementSeq = "statement_seq";
    public const string RecordedFrom = "recorded_from";
    public const string RecordedFromSeq = "recorded_from_seq";
    public const string RecordedTo = "recorded_to";
    public const string RecordedToSeq = "recorded_to_seq";

    /// <summary>Computed by the writers from the quote and the speaker, for full-text search.</summary>
    public const string Search = "search";

    /// <summary>The columns a writer gives values for, in this order; <see cref="Search"/> follows them.</summary>
    public static readonly IReadOnlyList<string> Written =
    [
        StatementId, Version, Party, Issue, Stance, Speaker, Quote, StatedAt, StatedOnDate, Conditions, Source,
        ClaimedBy, ClaimedBySpeaker, StatementSeq, RecordedFrom, RecordedFromSeq, RecordedTo, RecordedToSeq, EvidenceKind, Evidence,
    ];

    /// <summary>The target list of an insert of whole rows: <see cref="Written"/>, then <see cref="Search"/>.</summary>
    public static readonly string InsertColumns = $"{string.Join(", ", Written)}, {Search}";

    /// <summary>What <see cref="Reader"/> reads, for a revision table aliased <c>r</c>; a query may select more after it.</summary>
    public static readonly string Columns = string.Join(", ",
        new[] { StatementId, Version, RecordedFrom, Party, Issue, Stance, Speaker, Quote, StatedAt, StatedOnDate, Source, Conditions,
            ClaimedBy, ClaimedBySpeaker, StatementSeq, EvidenceKind }
        .Select(c => c is Source or Conditions ? $"r.{c}::text as {c}" : $"r.{c}"));

    /// <summary>The record-time filter: the revision was the statement's content at knownAt.</summary>
    public const string EffectiveAtKnownAt = "r.recorded_from <= @known_at and (r.recorded_to is null or r.recorded_to > @known_at)";

    /// <summary>Reads the rows of one result set by column name, looking each name up once per result.</summary>
    public sealed class Reader(NpgsqlDataReader row)
    {
        private readonly int _statementId = row.GetOrdinal(StatementId);
        private readonly int _version = row.GetOrdinal(Version);
        private readonly int _recordedFrom = row.GetOrdinal(RecordedFrom);
        private readonly int _party = row.GetOrdinal(Party);
        private readonly int _issue = row.GetOrdinal(Issue);
        private readonly int _stance = row.GetOrdinal(Stance);
        private readonly int _speaker = row.GetOrdinal(Speaker);
        private readonly int _quote = row.GetOrdinal(Quote);
        private readonly int _statedAt = row.GetOrdinal(StatedAt);
        private readonly int _statedOnDate = row.GetOrdinal(StatedOnDate);
        private readonly int _source = row.GetOrdinal(Source);
        private readonly int _conditions = row.GetOrdinal(Conditions);
        private readonly int _claimedBy = row.GetOrdinal(ClaimedBy);
        private readonly int _claimedBySpeaker = row.GetOrdinal(ClaimedBySpeaker);
        private readonly int _statementSeq = row.GetOrdinal(StatementSeq);
        private readonly int _evidenceKind = row.GetOrdinal(EvidenceKind);

        /// <summary>The current row as the timeline and search show it.</summary>
        public StatementItem Item()
        {
            var stance = StanceWords.ByWord[row.GetString(_stance)];
            var source = JsonSerializer.Deserialize<Statements.Source>(row.GetString(_source), JsonSerializerOptions.Web)!;
            return new StatementItem(
                row.GetGuid(_statementId).ToString(),
                row.GetInt64(_version),
                row.GetFieldValue<DateTimeOffset>(_recordedFrom),
                row.GetString(_party),
                row.GetString(_issue),
                stance.Word(),
                stance.Score(),
                row.GetString(_speaker),
                row.GetString(_quote),
                Instants.Format(row.GetFieldValue<DateTimeOffset>(_statedAt), row.GetBoolean(_statedOnDate)),
                new SourceView(source.Outlet, source.Url, source.PublishedAt is { } p ? Instants.Format(p, false) : null),
                JsonSerializer.Deserialize<string[]>(row.GetString(_conditions)) ?? [],
                row.IsDBNull(_claimedBy) ? null : new Statements.ClaimedBy(row.GetString(_claimedBy), row.GetString(_claimedBySpeaker)),
                row.GetString(_evidenceKind));
        }

        /// <summary>Position of the current row in statedAt order, for cursors: statedAt, then the statement's first sequence.</summary>
        public (DateTimeOffset StatedAt, long StatementSeq) OrderKey() =>
            (row.GetFieldValue<DateTimeOffset>(_statedAt), row.GetInt64(_statementSeq));
    }
}
