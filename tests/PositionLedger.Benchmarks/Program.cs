using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using JasperFx.Events;
using JasperFx.Events.Daemon;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;
using PositionLedger;
using PositionLedger.Benchmarks;
using PositionLedger.Tests.Infrastructure;
using PositionLedger.Infrastructure;
using PositionLedger.Sources;
using PositionLedger.Stances;
using PositionLedger.Statements;
using PositionLedger.Revisions;

// Usage: deploy/bench.sh [--statements N] (see README). Prints a table and writes docs/benchmarks.md + .json.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
if (args.FirstOrDefault() == "crash")
{
    // deploy/crash.sh: the crash test, against a durable PostgreSQL that the script owns.
    var crash = new CrashTest(
        Environment.GetEnvironmentVariable("POSITIONLEDGER_BENCH_APP")!,
        Environment.GetEnvironmentVariable("POSITIONLEDGER_CRASH_CONNECTION")!,
        Environment.GetEnvironmentVariable("POSITIONLEDGER_CRASH_PGDATA")!,
        int.Parse(Environment.GetEnvironmentVariable("POSITIONLEDGER_CRASH_PGPORT")!, CultureInfo.InvariantCulture),
        writers: Arg("--writers", 8),
        phase: TimeSpan.FromSeconds(Arg("--seconds", 5)));
    return await crash.RunAsync() ? 0 : 1;
}
if (args.FirstOrDefault() == "page")
{
    // The page's figures against a running app (B8's measurement alone), with what its first load waited for.
    var figures = await PageTiming.MeasureAsync(new Uri(args[1]), sliderSteps: 10, replaySteps: int.Parse(args[2], CultureInfo.InvariantCulture));
    Console.WriteLine($"first renders {string.Join(", ", figures.FirstRenders.Select(r => r.ToString("N0")))} ms; {figures}");
    Console.WriteLine(PageTiming.Loading);
    return 0;
}
var target = Arg("--statements", 1_000_000);
var outputDir = ArgText("--out", null) ?? Path.Combine(Repository.Root, "docs");
// --only B1,B4: measure just these (the ledger is still loaded); for working on one goal. Such a partial run
// is printed, and written only where --out points, never into docs/.
var only = ArgText("--only", null)
    ?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
    .Select(id => id.ToUpperInvariant())
    .ToHashSet();
bool Runs(string id) => only is null || only.Contains(id);
if (only?.Except(["B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B9", "B10", "B11"]).ToList() is [_, ..] unknown)
    throw new ArgumentException($"--only takes B1 to B11, not {string.Join(", ", unknown)}.");
var command = $"deploy/bench.sh --statements {target}" + (only is null ? "" : $" --only {string.Join(',', only.Order())}");
var connectionString = Environment.GetEnvironmentVariable("POSITIONLEDGER_BENCH_CONNECTION")
    ?? throw new InvalidOperationException("Set POSITIONLEDGER_BENCH_CONNECTION (deploy/bench.sh does).");
var appDll = Environment.GetEnvironmentVariable("POSITIONLEDGER_BENCH_APP")
    ?? Path.Combine(Repository.Root, "src", "PositionLedger.Api", "bin", "Release", "net10.0", "PositionLedger.Api.dll");
if (!File.Exists(appDll)) throw new InvalidOperationException($"Build or publish the app in Release first: {appDll}");
const string Schema = "bench";
// B1: warm-ups (HTTP, bare), then rounds alternating the HTTP appends with the bare ones.
const int B1WarmUp = 50_000, B1BareWarmUp = 20_000, B1Rounds = 4, B1PerRound = 2_000, B1ReviewedWarmUp = 5_000;
const int StanceWarmUp = 500;
const int Port = 5091;
const int LiveSubscribers = 1_000, LiveAppends = 200;
var stages = new[] { 10_000, 100_000, 1_000_000 }.Where(s => s < target).Append(target).ToArray();
var results = new List<Result>();
var notes = new List<string>();
void Say(string text) => Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {text}");

await using (var reset = new NpgsqlConnection(connectionString))
{
    await reset.OpenAsync();
    await new NpgsqlCommand(
        $"drop schema if exists {Schema} cascade; drop schema if exists bench_bare cascade; drop table if exists public.bench_copy",
        reset).ExecuteNonQueryAsync();
}

Say("Starting the app (first start creates the schema)...");
var (app, _) = await AppProcess.StartAsync(appDll, connectionString, Schema, Port);
var client = app.Client();
await using var inProcess = PositionLedgerApp.Build([$"--ConnectionStrings:PositionLedger={connectionString}",
    $"--PositionLedger:Schema={Schema}", "--Logging:LogLevel:Default=Warning"]);
var store = inProcess.Services.GetRequiredService<IDocumentStore>();
var db = inProcess.Services.GetRequiredService<NpgsqlDataSource>();
var revisions = inProcess.Services.GetRequiredService<RevisionTable>();
var stanceDb = inProcess.Services.GetRequiredService<StanceDataSource>();

foreach (var party in SyntheticLedger.Parties)
    (await client.PostAsync("/api/parties", Json(new { id = party, name = party.ToUpperInvariant() }))).EnsureSuccessStatusCode();
foreach (var issue in SyntheticLedger.Issues)
    (await client.PostAsync("/api/issues", Json(new { id = issue, title = issue }))).EnsureSuccessStatusCode();

(await client.PostAsync("/api/sources", Json(new
{
    id = SyntheticLedger.SourceId, title = "Synthetic wire", outlet = "Synthetic wire", language = "en", text = SyntheticLedger.SourceText,
}))).EnsureSuccessStatusCode();

var ledger = new SyntheticLedger(seed: 42);
var importTime = TimeSpan.Zero;
var imported = 0;
var firstRecorded = DateTimeOffset.UtcNow;
var b2 = new Dictionary<int, (Percentiles Server, Percentiles Http, double NaiveMs, Percentiles Filtered)>();

foreach (var stage in stages)
{
    Say($"Loading the ledger up to {stage:N0} statements through POST /api/imports (batches of 10,000, two in flight)...");
    while (ledger.Count < stage)
    {
        var before = ledger.Count;
        var batches = Enumerable.Range(0, 2)
            .Select(_ => ledger.NextLines(Math.Min(10_000, stage - ledger.Count)))
            .Where(b => b.Count > 0)
            .ToList();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(batches.Select(async lines =>
        {
            var response = await client.PostAsync("/api/imports",
                new StringContent(string.Join('\n', lines), Encoding.UTF8, "application/x-ndjson"));
            if (!response.IsSuccessStatusCode)
                throw new InvalidOperationException(
                    $"Import failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }));
        importTime += clock.Elapsed;
        imported += batches.Sum(b => b.Count);
        await AppendEdits(ledger.EditsFor(before));
        if (ledger.Count % 100_000 == 0 || ledger.Count == stage)
            Say($"  {ledger.Count:N0} statements, import {imported / importTime.TotalSeconds:N0} statements/s so far");
    }

    // B2 is about the query's own cost: the two cores are not shared with the load's aftermath.
    await SettleAsync();
    if (!Runs("B2")) continue;
    Say($"B2 at {stage:N0}: stance-as-of latency, server-side and over HTTP, and a naive fold...");
    b2[stage] = await StanceLatency(samples: 400);
}

if (Runs("B7"))
{
    Say($"B7: analysis reads on the ledger of {ledger.Count:N0} (claims made, flips and convergence over 30 days), server-side...");
    var span = DateTimeOffset.UtcNow - firstRecorded;
    var all = EvidenceKinds.All;
    var parties = SyntheticLedger.Parties;
    async Task<Percentiles> Time(Func<DateTimeOffset, DateTimeOffset, Task> read)
    {
        var samples = new List<double>();
        for (var i = 0; i < 250; i++)
        {
            var (asOf, knownAt) = (ledger.RandomAsOf(), firstRecorded + span * Random.Shared.NextDouble());
            var started = Stopwatch.GetTimestamp();
            await read(asOf, knownAt);
            if (i >= 50) samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds); // the first 50 warm up
        }
        return Percentiles.Of(samples);
    }
    var claimsMade = await Time((asOf, knownAt) => PositionLedger.Analysis.ClaimsMadeEndpoint.ReadAsync(
        stanceDb.Value, revisions, ledger.RandomParty(), new Clocks(asOf, knownAt), all, CancellationToken.None));
    // With an evidence filter, which can pass over a claim's resolver: the claims and a probe per claim, not the resolved rows.
    var claimsFiltered = await Time((asOf, knownAt) => PositionLedger.Analysis.ClaimsMadeEndpoint.ReadAsync(
        stanceDb.Value, revisions, ledger.RandomParty(), new Clocks(asOf, knownAt), ["direct-quote", "paraphrase"], CancellationToken.None));
    var flips = await Time((asOf, knownAt) => PositionLedger.Analysis.FlipsEndpoint.ReadAsync(stanceDb.Value, revisions,
        ledger.RandomParty(), SyntheticLedger.Issues, new(asOf.AddDays(-30), asOf, knownAt), all, CancellationToken.None));
    var convergence = await Time((asOf, knownAt) => PositionLedger.Analysis.ConvergenceEndpoint.ReadAsync(stanceDb.Value, revisions,
        SyntheticLedger.Issues[Random.Shared.Next(SyntheticLedger.Issues.Length)], parties, new(asOf.AddDays(-30), asOf, knownAt), all,
        CancellationToken.None));
    // The floor under claims made: the largest answer's rows (the party with the most claims, its whole history, known
    // now), read from the resolved claims and dropped, nothing built; how long PostgreSQL and the wire alone take.
    var (largest, rowsRead, floor) = await LargestClaimsAnswerAsync();
    notes.Add($"B7: the largest answer ({largest}'s {rowsRead:N0} claims, whole history, known now): its rows alone, read and "
        + $"not built, p50/min {floor.P50:N1}/{floor.Min:N1} ms over 100 reads.");
    results.Add(new("B7", $"analysis reads, {ledger.Count:N0} statements, server-side",
        $"claims made (whole history) p50/p95 {claimsMade.P50:N1}/{claimsMade.P95:N1} ms; "
        + $"flips (30 days) {flips.P50:N1}/{flips.P95:N1} ms; "
        + $"convergence (30 days) {convergence.P50:N1}/{convergence.P95:N1} ms; "
        + $"claims made with evidence=direct-quote,paraphrase {claimsFiltered.P50:N1}/{claimsFiltered.P95:N1} ms", "", "p95 < 20 ms each",
        claimsMade.P95 < 20 && flips.P95 < 20 && convergence.P95 < 20));
}

if (Runs("B8"))
{
    Say($"B8: the page in headless Chromium on the ledger of {ledger.Count:N0}: first render, slider steps, a replay of 1,000 change points...");
    try
    {
        var page = await PageTiming.MeasureAsync(app.Address);
        var median = page.FirstRenders[page.FirstRenders.Length / 2];
        Say($"B8: what the last first load waited for:\n{PageTiming.Loading}");
        results.Add(new("B8", $"page: first complete render of matrix and timeline, ledger of {ledger.Count:N0}",
            $"median {median:N0} ms (5 fresh loads: {string.Join(", ", page.FirstRenders.Select(r => r.ToString("N0")))} ms)", "",
            "< 1,000 ms from navigation, median of 5", median < 1_000));
        results.Add(new("B8", "page: a slider step to a new date until the matrix shows it",
            $"p50/p95/p99 {page.SliderSteps.P50:N0}/{page.SliderSteps.P95:N0}/{page.SliderSteps.P99:N0} ms over 50 steps", "",
            "p95 < 150 ms", page.SliderSteps.P95 < 150));
        results.Add(new("B8", $"page: replay at 16x through {page.ReplaySteps:N0} change points",
            $"{page.ReplayTime.TotalSeconds:N0} s; longest frame gap {page.LongestFrameGap:N0} ms; {page.FramesOver100Ms} frames over 100 ms", "",
            "no frame gap over 100 ms", page.FramesOver100Ms == 0));
    }
    catch (Exception e) when (e is InvalidOperationException or Microsoft.Playwright.PlaywrightException or TimeoutException)
    {
        results.Add(new("B8", "the page in headless Chromium", $"failed: {e.GetType().Name}: {e.Message}", "", "as above", false));
    }
}

if (Runs("B1"))
{
    // After B2, on the whole ledger: its appends would otherwise swell the sizes B2 is measured at.
    Say($"B1: 16 concurrent HTTP writers (auth, validation, idempotency key, inline projections) " +
        $"on the ledger of {ledger.Count:N0} vs bare in-process Marten...");
    // Both sides warmed up first: the app's hot paths are recompiled by the JIT's higher tiers during
    // the first minute of load, which is start-up cost, not the steady rate measured here (a profile of
    // the app 30-44 s into the load still found a quarter of its CPU in the JIT's tiering thread).
    using var bare = await BareStore();
    await HttpAppends(requests: B1WarmUp, clients: 16);
    await BareMartenAppends(bare, events: B1BareWarmUp, tasks: 16);
    // Then the two in alternating rounds: this shared machine's pace drifts within a run (other tenants,
    // checkpoints), and both sides should meet the same drift.
    var (httpTime, bareTime, latencies) = (TimeSpan.Zero, TimeSpan.Zero, new List<double>());
    for (var round = 0; round < B1Rounds; round++)
    {
        var http = await HttpAppends(requests: B1PerRound, clients: 16);
        httpTime += http.Elapsed;
        latencies.AddRange(http.Latencies);
        bareTime += await BareMartenAppends(bare, events: B1PerRound, tasks: 16);
    }
    var (httpRate, httpLatency) = (B1Rounds * B1PerRound / httpTime.TotalSeconds, Percentiles.Of(latencies));
    var bareRate = B1Rounds * B1PerRound / bareTime.TotalSeconds;
    results.Add(new("B1", $"HTTP appends, 16 clients, every guarantee on, to a ledger of {ledger.Count:N0}",
        $"{httpRate:N0} statements/s, p50 {httpLatency.P50:N1} ms, p99 {httpLatency.P99:N1} ms",
        $"bare Marten append, 16 tasks, 1 event/SaveChanges: {bareRate:N0} events/s",
        ">= 0.6 x baseline, p99 < 50 ms", httpRate >= 0.6 * bareRate && httpLatency.P99 < 50));

    // Under review, measured beside it: the app restarted with review on (one node: a second one beside it would run the
    // asynchronous projection twice), each statement proposed by the editor and approved by the verifier (two requests,
    // two transactions). No goal of its own: reported for comparison.
    Say("B1 under review: the same appends, each a proposal and its approval, with Editorial:RequireReview...");
    await app.DisposeAsync();
    (app, _) = await AppProcess.StartAsync(appDll, connectionString, Schema, Port, AppProcess.UnderReview);
    await HttpAppends(requests: B1ReviewedWarmUp, clients: 16, app);
    var (reviewedTime, reviewedLatencies) = await HttpAppends(requests: B1Rounds * B1PerRound, clients: 16, app);
    var reviewedLatency = Percentiles.Of(reviewedLatencies);
    results.Add(new("B1", "the same under review (Editorial:RequireReview): each statement proposed, then approved by a verifier",
        $"{B1Rounds * B1PerRound / reviewedTime.TotalSeconds:N0} statements/s, p50 {reviewedLatency.P50:N1} ms, "
        + $"p99 {reviewedLatency.P99:N1} ms (proposal and approval)",
        $"review off (above): {httpRate:N0} statements/s", "reported beside B1", null));
    await app.DisposeAsync();
    (app, _) = await AppProcess.StartAsync(appDll, connectionString, Schema, Port);

    // The appends are part of the ledger from here on: settled, so that B3 does not share the cores with them.
    await SettleAsync();
}

if (b2.Count > 0)
{
    var small = b2[stages[0]];
    var large = b2[stages[^1]];
    var flat = large.Server.P95 <= 1.5 * Math.Max(small.Server.P95, 0.05);
    var filteredMet = large.Filtered.P95 < 2;
    var speedup = large.NaiveMs / large.Server.P50;
    foreach (var (size, (server, http, naive, filtered)) in b2)
    {
        results.Add(new("B2", $"stance as of, {size:N0} statements",
            $"server p50/p95/p99 {server.P50:N2}/{server.P95:N2}/{server.P99:N2} ms; HTTP {http.P50:N2}/{http.P95:N2}/{http.P99:N2} ms; "
            + $"with evidence=direct-quote,paraphrase p95 {filtered.P95:N2} ms",
            $"naive fold of the raw events: {naive:N0} ms",
            size == stages[^1] ? "p95 < 2 ms (also filtered); <= 1.5 x the 10k p95; >= 100 x faster than the fold" : "",
            size == stages[^1] ? large.Server.P95 < 2 && filteredMet && flat && speedup >= 100 : null));
    }
    notes.Add($"B2: p95 at {stages[^1]:N0} is {large.Server.P95 / small.Server.P95:N2} x the p95 at {stages[0]:N0}; " +
        $"the fold is {speedup:N0} x slower than the indexed query (p50).");
}

if (Runs("B10"))
{
    Say("B10: stance as of, server-side, on the quiet ledger and then while 16 HTTP writers append at full pace...");
    // The app's append path warmed up, as B1 does (B1 ends with a restart of the app).
    await HttpAppends(requests: 5_000, clients: 16);
    var quiet = await ServerStanceLatency(samples: 400);
    var writing = HttpAppends(requests: 8_000, clients: 16);
    var underLoad = await ServerStanceLatency(during: writing);
    var (elapsed, appendLatencies) = await writing;
    results.Add(new("B10", $"stance as of under write load, ledger of {ledger.Count:N0}, server-side",
        $"p50/p95/p99 {underLoad.P50:N2}/{underLoad.P95:N2}/{underLoad.P99:N2} ms while appending "
        + $"{8_000 / elapsed.TotalSeconds:N0} statements/s (append p99 {Percentiles.Of(appendLatencies).P99:N1} ms)",
        $"the same questions on the quiet ledger: p50/p95 {quiet.P50:N2}/{quiet.P95:N2} ms", "p95 < 5 ms", underLoad.P95 < 5));
    await SettleAsync();
}

if (Runs("B9"))
{
    // A phase that fails is reported as such; the figures of every other benchmark of the run are kept.
    LiveFeedLatency.Outcome notified, polled;
    try
    {
        Say($"B9: the live feed with {LiveSubscribers:N0} subscribers, committed to received; polling alone beside it...");
        var writes = new SyntheticLedger(seed: 9);
        using (var writer = app.Client())
        {
            await AppendsThrough(writer, writes)(0);
            // The 1,000 subscribers are this process: its own collections would show as the feed's latency.
            var (paused, fullCollections) = (GC.GetTotalPauseDuration(), GC.CollectionCount(2));
            notified = await LiveFeedLatency.MeasureAsync(app.Address, LiveSubscribers, LiveAppends, AppendsThrough(writer, writes));
            notes.Add($"B9: while it measured, the bench's own garbage collections paused it {(GC.GetTotalPauseDuration() - paused).TotalMilliseconds:N0} ms "
                + $"({GC.CollectionCount(2) - fullCollections} full collections; its heap {GC.GetTotalMemory(false) / (1024 * 1024):N0} MiB); "
                + $"per event, the first subscriber's p50/p95/p99 {notified.FirstReceipt.P50:N1}/{notified.FirstReceipt.P95:N1}/{notified.FirstReceipt.P99:N1} ms.");
        }
        // The baseline: the same feed with the listener off, woken only by its 250 ms poll.
        await app.DisposeAsync();
        (app, _) = await AppProcess.StartAsync(appDll, connectionString, Schema, Port,
            new Dictionary<string, string> { ["Live__Listen"] = "false" });
        using (var writer = app.Client())
            polled = await LiveFeedLatency.MeasureAsync(app.Address, LiveSubscribers, LiveAppends, AppendsThrough(writer, writes));
        await app.DisposeAsync();
        (app, _) = await AppProcess.StartAsync(appDll, connectionString, Schema, Port);
        var complete = notified.Complete == notified.Subscribers;
        results.Add(new("B9", $"live feed, {LiveSubscribers:N0} subscribers, {LiveAppends} appends 20 ms apart",
            $"committed to received p50/p95/p99 {notified.Latency.P50:N1}/{notified.Latency.P95:N1}/{notified.Latency.P99:N1} ms "
            + $"over {notified.Deliveries:N0} deliveries; {notified.Complete:N0} of {notified.Subscribers:N0} subscribers got every event",
            $"polling every 250 ms alone: p50/p95 {polled.Latency.P50:N1}/{polled.Latency.P95:N1} ms",
            "p95 < 50 ms, none missed", notified.Latency.P95 < 50 && complete));
    }
    catch (Exception e) when (e is HttpRequestException or InvalidOperationException or TimeoutException)
    {
        results.Add(new("B9", "live feed", $"failed: {e.GetType().Name}: {e.Message}", "", "p95 < 50 ms", false));
    }
}

var events = await EventCount();
if (Runs("B3"))
{
    Say($"B3: rebuilding the revision projection over {events:N0} events (rebuild-revisions: a new table, swapped in)...");
    var report = await inProcess.Services.GetRequiredService<RevisionsRebuild>().RunAsync(null, CancellationToken.None);
    var rate = events / report.Elapsed.TotalSeconds;
    results.Add(new("B3", $"projection rebuild, {events:N0} events",
        $"{rate:N0} events/s ({report.Elapsed.TotalSeconds:N1} s, {report.Revisions:N0} revisions)",
        "Marten's published sample: ~8,700 events/s", ">= 50,000 events/s", rate >= 50_000));
    notes.Add($"B3 phases: {string.Join(", ", report.Phases.Select(p => $"{p.Key} {p.Value.TotalSeconds:N1} s"))}.");
}
if (Runs("B3"))
{
    // Beside it, Marten's own rebuild through the async daemon, which the projection also supports.
    var clock = Stopwatch.StartNew();
    using (var daemon = await store.BuildProjectionDaemonAsync())
    {
        await daemon.RebuildProjectionAsync(PositionLedger.Revisions.Configuration.RevisionsProjection, TimeSpan.FromMinutes(60),
            CancellationToken.None);
    }
    notes.Add($"B3: the same rebuild through Marten's async daemon (`projections rebuild`) ran at " +
        $"{events / clock.Elapsed.TotalSeconds:N0} events/s ({clock.Elapsed.TotalSeconds:N1} s).");
    // The rebuilds left a million dead rows; autovacuum would clean them during the next measurements.
    await VacuumAnalyze(revisions.QualifiedName, $"{Schema}.{PositionLedger.Activity.LedgerActivityProjection.TableName}");
}

if (Runs("B5"))
{
    Say("B5: restarting the app three times (process start to first successful response)...");
    await app.DisposeAsync();
    var startups = new List<double>();
    for (var i = 0; i < 3; i++)
    {
        var (restarted, startup) = await AppProcess.StartAsync(appDll, connectionString, Schema, Port);
        startups.Add(startup.TotalMilliseconds);
        if (i < 2) await restarted.DisposeAsync(); else app = restarted;
    }
    startups.Sort();
    results.Add(new("B5", "start-up to first successful response",
        $"median {startups[1]:N0} ms (of {string.Join(", ", startups.Select(s => s.ToString("N0")))})", "", "< 1.5 s", startups[1] < 1500));
}

if (Runs("B4"))
{
    Say($"B4: streaming the raw event log ({events:N0} events) from /api/events/export...");
    if (!Runs("B5"))
    {
        // A fresh process, as after B5, so that its peak memory is the export's, not the load's.
        await app.DisposeAsync();
        (app, _) = await AppProcess.StartAsync(appDll, connectionString, Schema, Port);
    }
    client = app.Client(editor: false);
    // The app was just restarted: warm its export path up on the last 100,000 events first, as B1 warms
    // up appends; B5 is the measure of start-up.
    using (var warmUp = await client.GetAsync($"/api/events/export?after={Math.Max(0, events - 100_000)}"))
        warmUp.EnsureSuccessStatusCode();
    var clock = Stopwatch.StartNew();
    using var response = await client.GetAsync("/api/events/export", HttpCompletionOption.ResponseHeadersRead);
    await using var body = await response.Content.ReadAsStreamAsync();
    long lines = 0;
    var buffer = new byte[1 << 20];
    int read;
    while ((read = await body.ReadAsync(buffer)) > 0) lines += buffer.AsSpan(0, read).Count((byte)'\n');
    var rate = lines / clock.Elapsed.TotalSeconds;
    var peak = app.PeakMemoryMiB();
    results.Add(new("B4", $"event log export, {lines:N0} events", $"{rate:N0} events/s, app peak memory {peak:N0} MiB", "",
        ">= 200,000 events/s, peak < 300 MB", rate >= 200_000 && peak < 300));
}

if (Runs("B6"))
{
    Say("B6: bulk import rate, beside a raw COPY of the same rows...");
    var importRate = imported / importTime.TotalSeconds;
    var copyRate = await CopyRate();
    results.Add(new("B6", $"bulk import (POST /api/imports, NDJSON, 10k per batch, 2 in flight), {imported:N0} statements",
        $"{importRate:N0} statements/s", $"COPY of the same rows: {copyRate:N0} rows/s", ">= 20,000 statements/s", importRate >= 20_000));
}

if (Runs("B11"))
{
    // A phase that fails is reported as such; the figures of every other benchmark of the run are kept.
    try
    {
            Say($"B11: settled stance reads, {PublicReads.Clients} clients: uncached on the primary, 304s, nginx's cache, "
                + "a local replica...");
            // Everything appended so far committed seconds ago: a knownAt five seconds back is settled.
            var urls = PublicReads.Urls(DateTimeOffset.UtcNow.AddSeconds(-5));
            using var reader = app.Client(editor: false);
            await PublicReads.RateAsync(reader, urls, HttpStatusCode.OK); // warm-up
            var primaryRate = await PublicReads.RateAsync(reader, urls, HttpStatusCode.OK);

            var etags = new Dictionary<string, string>();
            foreach (var url in urls)
            {
                using var first = await reader.GetAsync(url);
                if (first.Headers.CacheControl?.ToString().Contains("immutable", StringComparison.Ordinal) != true)
                    throw new InvalidOperationException($"{url} is not answered as settled: {first.Headers.CacheControl}");
                etags[url] = first.Headers.ETag!.ToString();
            }
            var notModifiedRate = await PublicReads.RateAsync(reader, urls, HttpStatusCode.NotModified,
                request =>
                {
                    request.Headers.TryAddWithoutValidation("If-None-Match", etags[request.RequestUri!.OriginalString]);
                    return request;
                });

            double cachedRate;
            await using (var nginx = await PublicReads.Nginx.StartAsync(Port + 1, Port))
            {
                using var viaNginx = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = PublicReads.Clients })
                {
                    BaseAddress = nginx.Address,
                };
                foreach (var url in urls) (await viaNginx.GetAsync(url)).EnsureSuccessStatusCode();
                cachedRate = await PublicReads.RateAsync(viaNginx, urls, HttpStatusCode.OK, check: response =>
                {
                    if (!response.Headers.TryGetValues("X-Cache", out var cache) || cache.Single() != "HIT")
                        throw new InvalidOperationException("nginx did not answer from its cache.");
                });
            }

            var replicaDirectory = Path.Combine(Repository.Root, ".data", "bench-replica");
            var primaryPort = new NpgsqlConnectionStringBuilder(connectionString).Port;
            double replicaRate;
            try
            {
                var replicaConnection = await PublicReads.StartReplicaAsync(replicaDirectory, primaryPort + 100, primaryPort);
                await app.DisposeAsync();
                (app, _) = await AppProcess.StartAsync(appDll, connectionString, Schema, Port,
                    new Dictionary<string, string> { [$"ConnectionStrings__{ReadReplica.ConnectionName}"] = replicaConnection });
                using var replicaReader = app.Client(editor: false);
                var waited = Stopwatch.StartNew();
                while (true)
                {
                    using var probe = await replicaReader.GetAsync(urls[0]);
                    if (probe.Headers.GetValues(ReadReplica.AnsweredByHeader).Single() == "replica") break;
                    if (waited.Elapsed > TimeSpan.FromMinutes(2))
                        throw new TimeoutException("The replica did not catch up within 2 minutes.");
                    await Task.Delay(200);
                }
                await PublicReads.RateAsync(replicaReader, urls, HttpStatusCode.OK); // warm-up
                replicaRate = await PublicReads.RateAsync(replicaReader, urls, HttpStatusCode.OK, check: response =>
                {
                    if (response.Headers.GetValues(ReadReplica.AnsweredByHeader).Single() != "replica")
                        throw new InvalidOperationException("The primary answered a read the replica should have.");
                });
            }
            finally
            {
                await PublicReads.RemoveReplicaAsync(replicaDirectory);
            }
            results.Add(new("B11", $"stance reads at a settled knownAt, {PublicReads.Clients} clients, ledger of {ledger.Count:N0}",
                $"(b) answered 304: {notModifiedRate:N0}/s ({notModifiedRate / primaryRate:N1} x); "
                + $"(c) nginx's cache: {cachedRate:N0}/s ({cachedRate / primaryRate:N1} x); "
                + $"(d) uncached on a local replica: {replicaRate:N0}/s ({replicaRate / primaryRate:N2} x)",
                $"(a) uncached on the primary: {primaryRate:N0} reads/s", "ratios to (a)", null));
    }
    catch (Exception e) when (e is HttpRequestException or InvalidOperationException or TimeoutException)
    {
        results.Add(new("B11", "stance reads at a settled knownAt", $"failed: {e.GetType().Name}: {e.Message}", "", "ratios to (a)",
            false));
    }
}

await app.DisposeAsync();
await Report();
return results.All(r => r.Met != false) ? 0 : 1;

// ---------------------------------------------------------------------------------------------------

async Task AppendEdits(List<object> edits)
{
    foreach (var chunk in edits.Chunk(1000))
    {
        await using var session = store.LightweightSession();
        foreach (var edit in chunk)
        {
            var id = edit switch
            {
                StatementCorrected c => c.StatementId,
                StatementRetracted r => r.StatementId,
                _ => throw new InvalidOperationException(),
            };
            session.Events.Append(id.ToString(), edit);
        }
        await session.SaveChangesAsync();
    }
}

// Under review (a node started with AppProcess.UnderReview given as reviewed), each append is a proposal and its
// approval by the verifier's key: the latency is the two requests'.
async Task<(TimeSpan Elapsed, double[] Latencies)> HttpAppends(int requests, int clients, AppProcess? reviewed = null)
{
    // Its own generator, so the ledger's bookkeeping (which statements to edit) is left alone. The statements
    // do land in the ledger: B1 runs after B2 for that reason.
    var writes = new SyntheticLedger(seed: 7);
    var latencies = new double[requests];
    var next = -1;
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
    {
        using var writer = (reviewed ?? app).Client();
        using var verifier = reviewed?.ClientWithKey(AppProcess.VerifierKey);
        int i;
        while ((i = Interlocked.Increment(ref next)) < requests)
        {
            string line;
            lock (writes) line = writes.NextLines(1)[0];
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/statements")
            {
                Content = new StringContent(line[..1] + line[(line.IndexOf(",\"party\"", StringComparison.Ordinal) + 1)..],
                    Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
            var started = Stopwatch.GetTimestamp();
            using var response = await writer.SendAsync(request);
            if (!response.IsSuccessStatusCode)
                throw new InvalidOperationException(
                    $"Append failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            if (verifier is not null)
            {
                var proposal = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("proposal").GetString();
                using var approval = new HttpRequestMessage(HttpMethod.Post, $"/api/reviews/{proposal}/approve")
                {
                    Content = new StringContent("{}", Encoding.UTF8, "application/json"),
                };
                approval.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
                using var approved = await verifier.SendAsync(approval);
                if (!approved.IsSuccessStatusCode)
                    throw new InvalidOperationException(
                        $"Approval failed: {(int)approved.StatusCode} {await approved.Content.ReadAsStringAsync()}");
            }
            latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }
    }));
    return (clock.Elapsed, latencies);
}

// One store for the warm-up and every round: its pool's connections are opened once, outside the timed rounds.
async Task<DocumentStore> BareStore()
{
    var bare = DocumentStore.For(options =>
    {
        options.Connection(connectionString);
        options.DatabaseSchemaName = "bench_bare";
        options.Events.StreamIdentity = StreamIdentity.AsString;
    });
    await bare.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
    return bare;
}

async Task<TimeSpan> BareMartenAppends(DocumentStore bare, int events, int tasks)
{
    var next = -1;
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, tasks).Select(async _ =>
    {
        while (Interlocked.Increment(ref next) < events)
        {
            await using var session = bare.LightweightSession();
            session.Events.StartStream(Guid.NewGuid().ToString(), new { Party = "us", Stance = "supports", Quote = "bare" });
            await session.SaveChangesAsync();
        }
    }));
    return clock.Elapsed;
}

// Server-side stance-as-of latency on random questions: after a warm-up, this many samples; or, while a task runs,
// as many as fit in it.
async Task<Percentiles> ServerStanceLatency(int samples = 0, Task? during = null)
{
    var span = DateTimeOffset.UtcNow - firstRecorded;
    var times = new List<double>();
    for (var i = 0; during is null ? i < StanceWarmUp + samples : !during.IsCompleted; i++)
    {
        var started = Stopwatch.GetTimestamp();
        await StanceQueries.StancesAsync(stanceDb, revisions, [ledger.RandomParty()], SyntheticLedger.Issues, ledger.RandomAsOf(),
            firstRecorded + span * Random.Shared.NextDouble(), CancellationToken.None);
        if (during is not null || i >= StanceWarmUp) times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }
    return Percentiles.Of(times);
}

// One statement appended over HTTP per call, from a generator of its own.
Func<int, Task> AppendsThrough(HttpClient writer, SyntheticLedger writes) => async _ =>
{
    string line;
    lock (writes) line = writes.NextLines(1)[0];
    var body = line[..1] + line[(line.IndexOf(",\"party\"", StringComparison.Ordinal) + 1)..];
    using var response = await writer.PostAsync("/api/statements", new StringContent(body, Encoding.UTF8, "application/json"));
    response.EnsureSuccessStatusCode();
};

async Task<(Percentiles Server, Percentiles Http, double NaiveMs, Percentiles Filtered)> StanceLatency(int samples)
{
    var issues = SyntheticLedger.Issues;
    var span = DateTimeOffset.UtcNow - firstRecorded;
    var questions = Enumerable.Range(0, samples)
        .Select(_ => (Party: ledger.RandomParty(), AsOf: ledger.RandomAsOf(), KnownAt: firstRecorded + span * Random.Shared.NextDouble()))
        .ToList();
    // Warmed up on other questions first, so that no stage's samples hold this process's first stance
    // queries (the JIT's higher tiers, the prepared statements). It does not make the 10k stage's p95 steady.
    for (var i = 0; i < StanceWarmUp; i++)
        await StanceQueries.StancesAsync(stanceDb, revisions, [ledger.RandomParty()], issues, ledger.RandomAsOf(),
            firstRecorded + span * Random.Shared.NextDouble(), CancellationToken.None);

    var server = new List<double>();
    foreach (var q in questions)
    {
        var started = Stopwatch.GetTimestamp();
        await StanceQueries.StancesAsync(stanceDb, revisions, [q.Party], issues, q.AsOf, q.KnownAt, CancellationToken.None);
        server.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }
    var http = new List<double>();
    using var reader = app.Client(editor: false);
    foreach (var q in questions)
    {
        var url = $"/api/parties/{q.Party}/stance?asOf={Uri.EscapeDataString(q.AsOf.ToString("O"))}" +
            $"&knownAt={Uri.EscapeDataString(q.KnownAt.ToString("O"))}";
        var started = Stopwatch.GetTimestamp();
        (await reader.GetAsync(url)).EnsureSuccessStatusCode();
        http.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }
    var naive = new List<double>();
    foreach (var q in questions.Take(3))
    {
        var started = Stopwatch.GetTimestamp();
        await NaiveFold(q.Party, q.AsOf, q.KnownAt);
        naive.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }
    // The same questions counting only some kinds of evidence: the filter is a predicate inside the same walk.
    var filtered = new List<double>();
    foreach (var q in questions)
    {
        var started = Stopwatch.GetTimestamp();
        await StanceQueries.StancesAsync(stanceDb, revisions, [q.Party], issues, q.AsOf, q.KnownAt, CancellationToken.None,
            [EvidenceKinds.DirectQuote, EvidenceKinds.Paraphrase]);
        filtered.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }
    return (Percentiles.Of(server), Percentiles.Of(http), naive.Average(), Percentiles.Of(filtered));
}

// What answering without the projection costs: read every event recorded by knownAt, fold, pick the basis.
async Task<int> NaiveFold(string party, DateTimeOffset asOf, DateTimeOffset knownAt)
{
    var json = new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };
    var known = new Dictionary<Guid, (StatementContent Content, long First)>();
    await using var command = db.CreateCommand(
        $"select seq_id, type, data::text from {Schema}.mt_events where timestamp <= $1 " +
        "and type in ('position_stated', 'statement_corrected', 'statement_retracted') order by seq_id");
    command.Parameters.Add(new NpgsqlParameter { Value = knownAt.ToUniversalTime() });
    await using var reader = await command.ExecuteReaderAsync();
    while (await reader.ReadAsync())
    {
        switch (reader.GetString(1))
        {
            case "position_stated":
                var s = JsonSerializer.Deserialize<PositionStated>(reader.GetString(2), json)!;
                known[s.StatementId] = (s.Content, reader.GetInt64(0));
                break;
            case "statement_corrected":
                var c = JsonSerializer.Deserialize<StatementCorrected>(reader.GetString(2), json)!;
                if (known.TryGetValue(c.StatementId, out var was)) known[c.StatementId] = (c.Corrected, was.First);
                break;
            default:
                known.Remove(JsonSerializer.Deserialize<StatementRetracted>(reader.GetString(2), json)!.StatementId);
                break;
        }
    }
    return known.Values.Where(k => k.Content.Party == party && k.Content.ClaimedBy is null && k.Content.StatedAt <= asOf)
        .GroupBy(k => k.Content.Issue)
        .Select(g => g.MaxBy(k => (k.Content.StatedAt, k.First)))
        .Count();
}

// After a load: what autovacuum would do anyway, done now so the planner's statistics fit the tables, and
// the asynchronous projection's backlog finished.
async Task<(string Party, int Rows, (double P50, double Min) Times)> LargestClaimsAnswerAsync()
{
    string party;
    await using (var most = db.CreateCommand(
        $"select claimed_by from {revisions.ResolvedClaims} where recorded_to is null group by 1 order by count(*) desc limit 1"))
    {
        party = (string)(await most.ExecuteScalarAsync())!;
    }
    var times = new List<double>();
    var rows = 0;
    for (var i = 0; i < 120; i++)
    {
        var started = Stopwatch.GetTimestamp();
        await using var command = stanceDb.Value.CreateCommand(
            $"""
            select claim_id, party, issue, stance, stated_at, stated_on_date, speaker, claimed_by, claimed_by_speaker, evidence_kind,
                   resolver_id, resolver_stance
            from {revisions.ResolvedClaims}
            where claimed_by = $1 and recorded_to is null
            order by stated_at, statement_seq
            """);
        command.Parameters.Add(new() { Value = party });
        await using var reader = await command.ExecuteReaderAsync();
        rows = 0;
        while (await reader.ReadAsync()) rows++;
        if (i >= 20) times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }
    times.Sort();
    return (party, rows, (times[times.Count / 2], times[0]));
}

async Task SettleAsync()
{
    await VacuumAnalyze(revisions.QualifiedName, revisions.ResolvedClaims, $"{Schema}.mt_events", $"{Schema}.mt_streams");
    await AsyncProjectionsCaughtUp();
}

async Task AsyncProjectionsCaughtUp()
{
    var clock = Stopwatch.StartNew();
    while (clock.Elapsed < TimeSpan.FromMinutes(15))
    {
        await using var command = db.CreateCommand(
            $"select (select coalesce(max(seq_id), 0) from {Schema}.mt_events) - " +
            $"(select coalesce(max(last_seq_id), 0) from {Schema}.mt_event_progression where name ilike 'LedgerActivity%')");
        if ((long)(await command.ExecuteScalarAsync())! <= 0) return;
        await Task.Delay(500);
    }
    throw new TimeoutException("The asynchronous projection did not catch up within 15 minutes.");
}

async Task VacuumAnalyze(params string[] tables)
{
    foreach (var table in tables)
    {
        await using var vacuum = db.CreateCommand($"vacuum analyze {table}");
        await vacuum.ExecuteNonQueryAsync();
    }
}

async Task<long> EventCount()
{
    await using var command = db.CreateCommand(
        $"select count(*) from {Schema}.mt_events where stream_id <> '{JasperFx.Events.Tombstone.StreamKey}'");
    return (long)(await command.ExecuteScalarAsync())!;
}

async Task<double> CopyRate()
{
    await using var connection = await db.OpenConnectionAsync();
    await new NpgsqlCommand(
        "create unlogged table if not exists public.bench_copy (statement_id uuid, party text, issue text, stance text, " +
        "speaker text, quote text, stated_at timestamptz, conditions jsonb, claimed_by text); truncate public.bench_copy",
        connection).ExecuteNonQueryAsync();
    await new NpgsqlCommand("alter table public.bench_copy set logged", connection).ExecuteNonQueryAsync();
    var clock = Stopwatch.StartNew();
    await using (var copy = await connection.BeginBinaryImportAsync("copy public.bench_copy from stdin (format binary)"))
    {
        foreach (var (id, c) in ledger.Statements)
        {
            await copy.StartRowAsync();
            await copy.WriteAsync(id, NpgsqlDbType.Uuid);
            await copy.WriteAsync(c.Party);
            await copy.WriteAsync(c.Issue);
            await copy.WriteAsync(c.Stance.Word());
            await copy.WriteAsync(c.Speaker);
            await copy.WriteAsync(c.Quote);
            await copy.WriteAsync(c.StatedAt.ToUniversalTime(), NpgsqlDbType.TimestampTz);
            await copy.WriteAsync(JsonSerializer.Serialize(c.Conditions), NpgsqlDbType.Jsonb);
            await copy.WriteAsync(c.ClaimedBy?.Party, NpgsqlDbType.Text);
        }
        await copy.CompleteAsync();
    }
    var rate = ledger.Statements.Count / clock.Elapsed.TotalSeconds;
    await new NpgsqlCommand("drop table public.bench_copy", connection).ExecuteNonQueryAsync();
    return rate;
}

async Task Report()
{
    var machine = Machine();
    var settings = new List<string>();
    await using (var command = db.CreateCommand(
        "select name, setting from pg_settings where name in ('server_version', 'fsync', 'synchronous_commit', " +
        "'full_page_writes', 'shared_buffers', 'wal_level', 'max_connections') order by name"))
    await using (var reader = await command.ExecuteReaderAsync())
    {
        while (await reader.ReadAsync()) settings.Add($"{reader.GetString(0)}={reader.GetString(1)}");
    }
    var table = new StringBuilder();
    table.AppendLine("| id | what | measured | baseline in the same run | goal | met |");
    table.AppendLine("| --- | --- | --- | --- | --- | --- |");
    foreach (var r in results)
        table.AppendLine(
            $"| {r.Id} | {r.Name} | {r.Measured} | {r.Baseline} | {r.Goal} | {(r.Met is null ? "" : r.Met.Value ? "yes" : "**no**")} |");
    Console.WriteLine();
    Console.WriteLine(table);
    foreach (var note in notes) Console.WriteLine(note);
    if (only is not null && ArgText("--out", null) is null) return;

    Directory.CreateDirectory(outputDir);
    var stamp = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'");
    var run = $"""
        ## Run of {stamp}

        Command: `{command}`. Machine: {machine}. PostgreSQL on the same machine: {string.Join(", ", settings)}.
        Sizes: {string.Join(" / ", stages.Select(s => s.ToString("N0")))} statements (plus ~5% corrections and ~2% retractions as events; ~10% of statements are claims){(Runs("B1") ? $", then B1's {B1WarmUp + B1Rounds * B1PerRound + B1ReviewedWarmUp + B1Rounds * B1PerRound:N0} HTTP appends (with review off, then on)" : "")}; {events:N0} events at the end.

        {table}
        {string.Join("\n", notes.Select(n => $"- {n}"))}

        """;
    await File.WriteAllTextAsync(Path.Combine(outputDir, "benchmarks-latest-run.md"), run);
    // docs/benchmarks.md keeps its analysis; the run between its markers is replaced by this one.
    var summary = Path.Combine(outputDir, "benchmarks.md");
    const string Begin = "<!-- latest-run -->", End = "<!-- /latest-run -->";
    var text = File.Exists(summary) ? await File.ReadAllTextAsync(summary) : $"# Benchmarks\n\n{Begin}\n{End}\n";
    var (from, to) = (text.IndexOf(Begin, StringComparison.Ordinal), text.IndexOf(End, StringComparison.Ordinal));
    text = from >= 0 && to > from
        ? text[..(from + Begin.Length)] + "\n" + run + text[to..]
        : text + $"\n{Begin}\n{run}{End}\n";
    await File.WriteAllTextAsync(summary, text);
    await File.WriteAllTextAsync(Path.Combine(outputDir, "benchmarks.json"), JsonSerializer.Serialize(new
    {
        when = stamp, command, machine, postgres = settings, sizes = stages, events, results, notes,
    }, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
    Say($"Wrote {summary} (the run between its markers), benchmarks-latest-run.md and benchmarks.json");
}

static string Machine()
{
    var cpu = File.ReadLines("/proc/cpuinfo")
        .FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))
        ?.Split(':')[1].Trim() ?? "unknown CPU";
    var memory = File.ReadLines("/proc/meminfo")
        .First(l => l.StartsWith("MemTotal", StringComparison.Ordinal))
        .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
    return $"{Environment.ProcessorCount} cores ({cpu}), " +
        $"{long.Parse(memory, CultureInfo.InvariantCulture) / 1024 / 1024} GiB, .NET {Environment.Version}";
}

static StringContent Json(object body) =>
    new(JsonSerializer.Serialize(body, JsonSerializerOptions.Web), new MediaTypeHeaderValue("application/json"));

int Arg(string name, int fallback) => ArgText(name, null) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

string? ArgText(string name, string? fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
}

internal sealed record Result(string Id, string Name, string Measured, string Baseline, string Goal, bool? Met);

internal sealed record Percentiles(double P50, double P95, double P99)
{
    public static Percentiles Of(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        double At(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        return new Percentiles(At(0.50), At(0.95), At(0.99));
    }
}
