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
    [WolverineGet("/api/events/live", OperationId = "followEvents")]
    [Tags(ApiTags.Events)]
    [EndpointSummary("Follow new events as they are recorded")]
    [EndpointDescription("Server-sent events, one per new event in record order, each with its sequence as id. The first "
        + "message, ready, says after which sequence the feed starts. Resumes after the after parameter or Last-Event-ID.")]
    [Parameter("after", "Start after this sequence number; default: what comes next.", Value = ParameterValue.WholeNumber)]
    [Parameter("Last-Event-ID", "As after, sent by an EventSource that reconnects.", InHeader = true, Value = ParameterValue.WholeNumber)]
    [Microsoft.AspNetCore.Mvc.ProducesResponseType<EventView>(StatusCodes.Status200OK, "text/event-stream")]
    public static async Task<IResult> Get(
        string? after, HttpContext context, IDocumentStore store, LiveEventHub hub, CancellationToken ct)
    {
        var (field, resumeFrom) = after is null
            ? ("Last-Event-ID", context.Request.Headers["Last-Event-ID"].FirstOrDefault())
            : ("after", after);
        long start;
        if (resumeFrom is null) start = await hub.CurrentAsync(ct);
        else if (!long.TryParse(resumeFrom, NumberStyles.None, CultureInfo.InvariantCulture, out start))
            return TypedResults.Problem(Problems.Invalid(field, $"'{field}' must be an event sequence number."));
        return TypedResults.ServerSentEvents(Follow(store, hub, start, ct));
    }

    private static async IAsyncEnumerable<SseItem<string>> Follow(
        IDocumentStore store, LiveEventHub hub, long sent, [EnumeratorCancellation] CancellationToken ct)
    {
        LedgerMetrics.SubscriberJoined();
        hub.Joined();
        try
        {
            // Sent at once, so the client has the response (and knows where the feed starts) before any event.
            yield return new SseItem<string>(string.Create(CultureInfo.InvariantCulture, $$"""{"after":{{sent}}}"""), "ready");
            while (!ct.IsCancellationRequested)
            {
                var slice = hub.After(sent);
                if (slice.Events is null)
                {
                    // Behind the hub's window: everything up to the hub's last sequence is final, read it from the log.
                    IReadOnlyList<IEvent> events;
                    await using (var session = store.QuerySession())
                    {
                        events = await EventLogQueries.AfterAsync(session, sent, 500, withHidden: true, ct);
                    }
                    var behind = events.TakeWhile(e => e.Sequence <= slice.Last).ToList();
                    foreach (var e in behind.Where(e => !EventLogQueries.IsHidden(e))) yield return hub.MessageOf(e);
                    // A full page may have more below the hub's last; otherwise sequences up to it that the log lacks were
                    // rolled back, and nothing below it is left to send.
                    sent = behind.Count == 500 ? behind[^1].Sequence : slice.Last;
                    continue;
                }
                foreach (var passed in slice.Events)
                {
                    sent = passed.Sequence;
                    if (passed.Item is { } item) yield return item;
                }
                if (slice.Events.Count > 0) continue;
                try { await slice.Changed.WaitAsync(ct); }
                catch (OperationCanceledException) { yield break; }
            }
        }
        finally
        {
            hub.Left();
            LedgerMetrics.SubscriberLeft();
        }
    }
}
