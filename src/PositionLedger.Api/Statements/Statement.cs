using JasperFx.Events;

namespace PositionLedger.Statements;

/// <summary>
/// One entry of a statement's history, with its record time taken from the event's metadata. Under review
/// <see cref="RecordedBy"/> is the verifier who approved it and <see cref="ProposedBy"/> its author.
/// </summary>
public sealed record Revision(
    long Version,
    string Kind,
    long Sequence,
    DateTimeOffset RecordedAt,
    string? RecordedBy,
    string? CorrelationId,
    string? IdempotencyKey,
    string? Reason,
    string[] ChangedFields,
    StatementContent? Content,
    string? ProposedBy = null);

/// <summary>
/// The statement aggregate: one stream per statement, kept inline as a snapshot so that a correction
/// is checked against the stream's version and GET /api/statements/{id} is a single load.
/// </summary>
public sealed record Statement(
    string Id,
    StatementContent Content,
    long Version,
    bool Retracted,
    IReadOnlyList<Revision> Revisions)
{
    public static Statement Create(IEvent<PositionStated> e) =>
        new(e.StreamKey!, e.Data.Content, e.Version, false, [RevisionOf(e, "stated", null, [], e.Data.Content)]);

    public Statement Apply(IEvent<StatementCorrected> e) => this with
    {
        Content = e.Data.Corrected,
        Version = e.Version,
        Revisions = [.. Revisions, RevisionOf(e, "corrected", e.Data.Reason, e.Data.ChangedFields, e.Data.Corrected)],
    };

    public Statement Apply(IEvent<StatementRetracted> e) => this with
    {
        Retracted = true,
        Version = e.Version,
        Revisions = [.. Revisions, RevisionOf(e, "retracted", e.Data.Reason, [], null)],
    };

    private static Revision RevisionOf(IEvent e, string kind, string? reason, string[] changed, StatementContent? content) =>
        new(e.Version, kind, e.Sequence, e.Timestamp, e.UserName, e.CorrelationId,
            e.GetHeader(Infrastructure.Audit.IdempotencyKeyHeader)?.ToString(), reason, changed, content,
            e.GetHeader(Reviews.Editorial.ProposedByHeader)?.ToString());
}
