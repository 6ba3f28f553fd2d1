using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using JasperFx.Events;
using Marten;
using PositionLedger.Infrastructure;
using Wolverine.Http;

namespace PositionLedger.EventLog;

/// <summary>
/// Server-sent events, one per new event, in record order. Resumes after the <c>after</c> parameter or
/// the <c>Last-Event-ID</c> header (each event's id is its sequence); otherwise starts with what comes next.
/// The first message, <c>ready</c>, says after which sequence the feed starts.
/// </summary>
public static class LiveEventsEndpoint
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// A writer that reserved a lower sequence may commit after a higher one is visible. A gap is waited
    /// for this long before it is taken as a rolled-back append and passed over, so nothing is skipped.
    /// </summary>
    private static readonly TimeSpan GapPatience = TimeSpan.FromSeconds(3);

    [WolverineGet("/api/events/live", OperationId = "followEvents")]
    [Tags(ApiTags.Events)]
    [EndpointSummary("Follow new events as they are recorded")]
    [EndpointDescription("Server-sent events, one per new event in record order, each with its sequence as id. The first "
        + "message, ready, says after which sequence the feed starts. Resumes after the after parameter or Last-Event-ID.")]
    [Parameter("after", "Start after this sequence number; default: what comes next.", Value = ParameterValue.WholeNumber)]
    [Parameter("Last-Event-ID", "As after, sent by an EventSource that reconnects.", InHeader = true, Value = ParameterValue.WholeNumber)]
    [Microsoft.AspNetCore.Mvc.ProducesResponseType<EventView>(StatusCodes.Status200OK, "text/event-stream")]
    public static async Task<IResult> Get(
        string? after, HttpContext context, IDocumentStore store, TimeProvider clock, CancellationToken ct)
    {
        var (field, resumeFrom) = after is null
            ? ("Last-Event-ID", context.Request.Headers["Last-Event-ID"].FirstOrDefault())
            : ("after", after);
        long start;
        if (resumeFrom is null) start = await store.Storage.Database.FetchHighestEventSequenceNumber(ct);
        else if (!long.TryParse(resumeFrom, NumberStyles.None, CultureInfo.InvariantCulture, out start))
            return TypedResults.Problem(Problems.Invalid(field, $"'{field}' must be an event sequence number."));
        return TypedResults.ServerSentEvents(Follow(store, clock, start, ct));
    }

    private static async IAsyncEnumerable<SseItem<object>> Follow(
        IDocumentStore store, TimeProvider clock, long last, [EnumeratorCancellation] CancellationToken ct)
    {
        LedgerMetrics.SubscriberJoined();
        try
        {
            // Sent at once, so the client has the response (and knows where the feed starts) before any event.
            yield return new SseItem<object>(new { after = last }, "ready");
            while (!ct.IsCancellationRequested)
            {
                IReadOnlyList<IEvent> events;
                await using (var session = store.QuerySession())
                {
                    events = await EventLogQueries.AfterAsync(session, last, 500, withTombstones: true, ct);
                }
                var caughtUp = events.Count < 500;
                foreach (var e in events)
                {
                    if (e.Sequence != last + 1 && clock.GetUtcNow() - e.Timestamp < GapPatience)
                    {
                        caughtUp = true;
                        break;
                    }
                    last = e.Sequence;
                    if (EventLogQueries.IsTombstone(e)) continue;
                    yield return new SseItem<object>(EventView.Of(e), e.EventTypeName)
                    {
                        EventId = e.Sequence.ToString(CultureInfo.InvariantCulture),
                    };
                }
                if (caughtUp)
                {
                    try { await Task.Delay(PollInterval, clock, ct); }
                    catch (OperationCanceledException) { yield break; }
                }
            }
        }
        finally
        {
            LedgerMetrics.SubscriberLeft();
        }
    }
}
