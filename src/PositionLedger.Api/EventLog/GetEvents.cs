using Microsoft.AspNetCore.Http.HttpResults;
using JasperFx.Events;
using Marten;
using PositionLedger.Infrastructure;
using Wolverine.Http;

namespace PositionLedger.EventLog;

/// <summary>One event of the raw log, with its record-time metadata.</summary>
public sealed record EventView(
    long Sequence,
    string Type,
    string StreamId,
    long Version,
    DateTimeOffset RecordedAt,
    string? RecordedBy,
    string? CorrelationId,
    object Data)
{
    public static EventView Of(IEvent e) =>
        new(e.Sequence, e.EventTypeName, e.StreamKey!, e.Version, e.Timestamp, e.UserName, e.CorrelationId, e.Data);
}

public static class EventLogQueries
{
    /// <summary>
    /// Events after a sequence, in record order. Marten's tombstones (which fill the sequence numbers of
    /// failed appends) are read, so that a caller can see the log is contiguous, but never returned.
    /// </summary>
    public static Task<IReadOnlyList<IEvent>> AfterAsync(
        IQuerySession session, long after, int limit, bool withHidden, CancellationToken ct)
    {
        var events = session.Events.QueryAllRawEvents().Where(e => e.Sequence > after);
        if (!withHidden)
            events = events.Where(e => e.StreamKey != Tombstone.StreamKey && !e.StreamKey!.StartsWith(Reviews.Proposal.StreamPrefix));
        return events.OrderBy(e => e.Sequence).Take(limit).ToListAsync(ct);
    }

    /// <summary>
    /// Not part of the published log: a tombstone (the placeholder of a failed append's sequence) and the events of a
    /// proposal (under review, only its approved change, appended to the statement, is published).
    /// </summary>
    public static bool IsHidden(IEvent e) =>
        e.StreamKey == Tombstone.StreamKey || e.StreamKey!.StartsWith(Reviews.Proposal.StreamPrefix, StringComparison.Ordinal);
}

/// <summary>The raw event log in record order, for replay and export; page with after = the last sequence read.</summary>
public static class GetEventsEndpoint
{
    public const int MaxLimit = 1000;

    [WolverineGet("/api/events", OperationId = "listEvents")]
    [Tags(ApiTags.Events)]
    [EndpointSummary("Read the event log")]
    [EndpointDescription("Raw events in record order, with their sequence, type, stream, record time and data. "
        + "Page with after = the last sequence read.")]
    [Parameter("after", "Only events with a greater sequence number; default 0, the start of the log.",
        Value = ParameterValue.WholeNumber, Example = "0")]
    [Parameter("limit", "Most events to return; default 100.", Value = ParameterValue.WholeNumber, Minimum = 1, Maximum = MaxLimit)]
    public static async Task<Results<Ok<List<EventView>>, ProblemHttpResult>> Get(
        string? after, string? limit, IQuerySession session, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var afterValue = QueryValues.After(after, errors);
        var size = QueryValues.Limit(limit, 100, MaxLimit, errors);
        if (errors.Count > 0) return TypedResults.Problem(Problems.Invalid(errors));

        var events = await EventLogQueries.AfterAsync(session, afterValue, size, withHidden: false, ct);
        return TypedResults.Ok(events.Select(EventView.Of).ToList());
    }
}
