using System.Diagnostics.Metrics;
using Marten;
using Marten.Services;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace PositionLedger.Infrastructure;

/// <summary>
/// The ledger's own metrics, beside what ASP.NET Core, Npgsql, Marten and Wolverine already emit. One meter,
/// counted where each thing happens: events when their session commits (or their bulk import does), refusals
/// as the response leaves, replays where the idempotency middleware answers from the stored response.
/// </summary>
public static class LedgerMetrics
{
    public const string MeterName = "PositionLedger";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Appends =
        Meter.CreateCounter<long>("positionledger.appends", "{event}", "Events appended, by event type.");

    private static readonly Counter<long> Refusals =
        Meter.CreateCounter<long>("positionledger.rejected_inputs", "{request}", "Requests refused with a 4xx, by reason.");

    private static readonly Counter<long> Replays =
        Meter.CreateCounter<long>("positionledger.idempotent_replays", "{request}", "Repeats answered from the first response.");

    // Observed rather than counted up and down: a listener that starts while clients are connected still reads the
    // true number (an up-down counter would only see the changes after it started).
    private static long _subscribers;
    private static readonly ObservableGauge<long> Subscribers = Meter.CreateObservableGauge(
        "positionledger.live_subscribers", () => Interlocked.Read(ref _subscribers), "{connection}", "Clients following /api/events/live.");

    private static long projectionLag;

    static LedgerMetrics() =>
        Meter.CreateObservableGauge("positionledger.projection_lag", () => Volatile.Read(ref projectionLag), "{event}",
            "Events appended that the slowest asynchronous projection has not yet applied.");

    public static void Appended(string eventType, long count = 1) =>
        Appends.Add(count, new KeyValuePair<string, object?>("event_type", eventType));

    public static void Replayed() => Replays.Add(1);

    public static void SubscriberJoined() => Interlocked.Increment(ref _subscribers);

    public static void SubscriberLeft() => Interlocked.Decrement(ref _subscribers);

    internal static void ProjectionLag(long events) => Volatile.Write(ref projectionLag, events);

    /// <summary>Counts every 4xx by what it says about the request (the status code's meaning).</summary>
    public static async Task CountRefusalsAsync(HttpContext context, Func<Task> next)
    {
        await next();
        if (context.Response.StatusCode is >= 400 and < 500 and var status)
            Refusals.Add(1, new KeyValuePair<string, object?>("reason", Reason(status)));
    }

    private static string Reason(int status) => status switch
    {
        400 => "invalid",
        401 => "unauthenticated",
        403 => "forbidden",
        404 => "not_found",
        409 => "conflict",
        413 => "too_large",
        415 => "unsupported_media_type",
        422 => "idempotency_key_reused",
        429 => "rate_limited",
        499 => "client_closed",
        _ => "other",
    };

    /// <summary>Counts the events of every committed Marten session.</summary>
    public sealed class CountAppends : DocumentSessionListenerBase
    {
        public override Task AfterCommitAsync(IDocumentSession session, IChangeSet commit, CancellationToken token)
        {
            foreach (var events in commit.GetEvents().GroupBy(e => e.EventTypeName)) Appended(events.Key, events.Count());
            return Task.CompletedTask;
        }
    }

    /// <summary>Every few seconds, how far the slowest asynchronous projection is behind the event log.</summary>
    public sealed class WatchProjectionLag(IDocumentStore store, ILogger<WatchProjectionLag> logger) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
            do
            {
                try
                {
                    var statistics = await store.Advanced.FetchEventStoreStatistics(token: stoppingToken);
                    var progress = await store.Advanced.AllProjectionProgress(token: stoppingToken);
                    var slowest = progress
                        .Where(p => p.ShardName != "HighWaterMark")
                        .Select(p => p.Sequence)
                        .DefaultIfEmpty(statistics.EventSequenceNumber)
                        .Min();
                    ProjectionLag(Math.Max(0, statistics.EventSequenceNumber - slowest));
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException)
                {
                    logger.LogDebug(e, "Could not read the projections' progress; the lag keeps its last value");
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
    }
}

public static class TelemetryConfiguration
{
    /// <summary>
    /// OpenTelemetry traces and metrics from ASP.NET Core, Npgsql, Marten, Wolverine and the ledger, exported over
    /// OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, and a Prometheus scrape endpoint when Telemetry:Prometheus is on.
    /// </summary>
    public static void AddTelemetry(this WebApplicationBuilder builder)
    {
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var prometheus = builder.Configuration.GetValue("Telemetry:Prometheus", false);
        builder.Services.AddHostedService<LedgerMetrics.WatchProjectionLag>();
        if (!otlp && !prometheus) return;

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("positionledger"))
            .WithMetrics(metrics =>
            {
                metrics.AddAspNetCoreInstrumentation().AddRuntimeInstrumentation()
                    .AddMeter("Npgsql", "Marten", "Wolverine", LedgerMetrics.MeterName);
                // Every scrape sees the counts as they are (the exporter would otherwise answer from a 300 ms cache).
                if (prometheus) metrics.AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
                if (otlp) metrics.AddOtlpExporter();
            });
        if (otlp)
        {
            telemetry.WithTracing(tracing => tracing.AddAspNetCoreInstrumentation().AddNpgsql()
                .AddSource("Marten", "Wolverine").AddOtlpExporter());
        }
    }

    public static void MapTelemetry(this WebApplication app)
    {
        if (app.Configuration.GetValue("Telemetry:Prometheus", false)) app.MapPrometheusScrapingEndpoint("/metrics");
    }
}
