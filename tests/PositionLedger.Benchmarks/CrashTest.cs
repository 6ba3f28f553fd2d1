using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using JasperFx.Events.Daemon;
using Marten;
using Marten.Events;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PositionLedger.Activity;
using PositionLedger.Imports;
using PositionLedger.Statements;
using PositionLedger.Tests.Infrastructure;

namespace PositionLedger.Benchmarks;

/// <summary>
/// Writers append through the HTTP API while the app is killed (SIGKILL) and restarted, then while
/// PostgreSQL is stopped the hard way (pg_ctl -m immediate) and restarted; then keyed imports without ids are
/// killed mid-run (some right after their bulk commit) and retried with their key after the restart. Afterwards
/// every acknowledged statement and imported line exists exactly once, nothing is half-written, and the read
/// models equal a rebuild.
/// </summary>
public sealed class CrashTest(string appDll, string connectionString, string pgDataDir, int pgPort, int writers, TimeSpan phase)
{
    private const string Schema = "crash";
    private readonly ConcurrentDictionary<string, string> _acknowledged = new(); // token -> statement id
    private readonly ConcurrentBag<string> _attempted = [];
    private readonly List<string> _report = [];
    private static void Say(string text) => Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {text}");

    public async Task<bool> RunAsync()
    {
        await using (var reset = new NpgsqlConnection(connectionString))
        {
            await reset.OpenAsync();
            await new NpgsqlCommand($"drop schema if exists {Schema} cascade", reset).ExecuteNonQueryAsync();
        }
        var port = AppProcess.FreePort();
        var (app, _) = await AppProcess.StartAsync(appDll, connectionString, Schema, port);
        using (var setup = app.Client())
        {
            foreach (var party in new[] { "russia", "ukraine", "us" })
                (await setup.PostAsJsonAsync("/api/parties", new { id = party, name = party })).EnsureSuccessStatusCode();
            (await setup.PostAsJsonAsync("/api/issues", new { id = "ceasefire", title = "Ceasefire" })).EnsureSuccessStatusCode();
        }

        using var stop = new CancellationTokenSource();
        var current = app;
        var load = Enumerable.Range(0, writers).Select(w => Task.Run(() => Write(w, () => current, stop.Token))).ToList();

        Say($"Round 1: {writers} writers for {phase.TotalSeconds:N0} s, then SIGKILL the app and start it again...");
        await Task.Delay(phase);
        var before = _acknowledged.Count;
        await app.KillAsync();
        var killedAt = Stopwatch.StartNew();
        (current, _) = await AppProcess.StartAsync(appDll, connectionString, Schema, port);
        var appRecovery = await FirstAcknowledgementAfter(before, killedAt);
        await Task.Delay(phase);
        await CheckRound($"round 1 (app SIGKILL, restarted): recovery {appRecovery.TotalMilliseconds:N0} ms " +
            "from the kill to the next acknowledged write");

        Say($"Round 2: {phase.TotalSeconds:N0} s more, then pg_ctl -m immediate and start PostgreSQL again...");
        await Task.Delay(phase);
        before = _acknowledged.Count;
        await Shell("deploy/local-postgres.sh", "crash", pgDataDir);
        var crashedAt = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(1));
        await Shell("deploy/local-postgres.sh", "start", pgDataDir, pgPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var dbRecovery = await FirstAcknowledgementAfter(before, crashedAt);
        await Task.Delay(phase);
        await CheckRound($"round 2 (PostgreSQL pg_ctl -m immediate, restarted): recovery {dbRecovery.TotalMilliseconds:N0} ms " +
            "from the crash to the next acknowledged write (the database was down 1 s of it)");
        stop.Cancel();
        await Task.WhenAll(load);

        var imports = Math.Max(6, 2 * (int)phase.TotalSeconds);
        Say($"Round 3: {imports} keyed imports of {ImportLines} lines without ids, the app SIGKILLed during each " +
            "(half of them right after the bulk commit), restarted, the import retried with its key...");
        current = await ImportRound(current, port, imports);
        await current.DisposeAsync();
        return await Verify();
    }

    private const int ImportLines = 2_000;

    /// <summary>Import lines that were acknowledged (the import answered 200 for its key), by their token (the quote).</summary>
    private readonly HashSet<string> _importedLines = new(StringComparer.Ordinal);

    /// <summary>
    /// Keyed imports whose lines carry no id. Each is killed (SIGKILL) at a random moment of its run, or right after its
    /// bulk append commits (before its revisions and its key), then the app is started again and the import retried
    /// with the same key until it answers 200. Afterwards every line of it must exist exactly once.
    /// </summary>
    private async Task<AppProcess> ImportRound(AppProcess app, int port, int imports)
    {
        await using var db = NpgsqlDataSource.Create(connectionString);
        var random = new Random();
        // Two imports without a kill (the first warms the app up): how long one takes, so that the kills fall within its run.
        await RetryImport(app, "import-warm-up-1", ImportBody("import-warm-up-1"));
        var took = Stopwatch.StartNew();
        await RetryImport(app, "import-warm-up-2", ImportBody("import-warm-up-2"));
        var duration = took.Elapsed;
        Say($"  an import of {ImportLines} lines takes {duration.TotalMilliseconds:N0} ms");
        var killedAfterCommit = 0;
        for (var i = 0; i < imports; i++)
        {
            var key = $"import-{i}-{Guid.NewGuid():N}";
            var body = ImportBody(key);
            var lastEvent = await Count(db, $"select coalesce(max(seq_id), 0) from {Schema}.mt_events");
            using var client = app.Client();
            var running = Task.Run(async () =>
            {
                using var request = ImportRequest(key, body);
                try { await client.SendAsync(request); }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or OperationCanceledException) { }
            });
            var killedAt = Stopwatch.StartNew();
            var when = "";
            if (i % 2 == 0)
            {
                // Right after the bulk append's commit: its events are visible, its revisions and the key not yet.
                var clock = Stopwatch.StartNew();
                while (await Count(db, $"select coalesce(max(seq_id), 0) from {Schema}.mt_events") < lastEvent + ImportLines
                    && !running.IsCompleted && clock.Elapsed < TimeSpan.FromMinutes(1))
                    await Task.Delay(1);
                if (!running.IsCompleted) killedAfterCommit++;
                when = running.IsCompleted ? "after it answered (its bulk commit unseen)" : "right after its bulk commit";
            }
            else
            {
                await Task.Delay(TimeSpan.FromMilliseconds(random.NextDouble() * duration.TotalMilliseconds));
                when = running.IsCompleted ? "at random, after it answered" : "at random";
            }
            when = $"{when}, {killedAt.Elapsed.TotalMilliseconds:N0} ms into it";
            await app.KillAsync();
            await running;
            await app.DisposeAsync();
            (app, _) = await AppProcess.StartAsync(appDll, connectionString, Schema, port);
            await RetryImport(app, key, body);
            for (var n = 1; n <= ImportLines; n++) _importedLines.Add(ImportToken(key, n));
            var stored = (await Found(db)).Where(f => f.Key.StartsWith($"{key}-", StringComparison.Ordinal)).ToList();
            Say($"  import {i}: killed {when}; retried to 200: {stored.Count(f => f.Value.Count == 1)} lines once, " +
                $"{stored.Count(f => f.Value.Count > 1)} more than once, {ImportLines - stored.Count} missing");
        }

        var found = await Found(db);
        var lost = _importedLines.Count(t => !found.ContainsKey(t));
        var doubled = _importedLines.Count(t => found.TryGetValue(t, out var ids) && ids.Count > 1);
        var foundLines = _importedLines.Count(found.ContainsKey);
        _clean &= lost == 0 && doubled == 0;
        var line = $"round 3 (keyed imports without ids, app SIGKILLed during each, {killedAfterCommit} right after the bulk commit, " +
            $"restarted, retried with the key): acknowledged {_importedLines.Count} lines in {imports} imports, found {foundLines}, " +
            $"lost = {lost}, doubled = {doubled}";
        _report.Add(line);
        Say(line);
        return app;
    }

    private static string ImportToken(string key, int line) => $"{key}-line-{line}";

    private static string ImportBody(string key) => string.Join('\n', Enumerable.Range(1, ImportLines).Select(n =>
        JsonSerializer.Serialize(new
        {
            party = "russia", issue = "ceasefire", stance = "supports", speaker = "Importer", quote = ImportToken(key, n),
            statedAt = "2025-03-13", source = new { outlet = "Crash test import" },
        })));

    private static HttpRequestMessage ImportRequest(string key, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, ImportStatementsEndpoint.Route)
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/x-ndjson"),
        };
        request.Headers.Add("Idempotency-Key", key);
        return request;
    }

    /// <summary>Sends the import with its key until it answers 200 (after a 409 "still being processed", a 503, or no answer).</summary>
    private static async Task RetryImport(AppProcess app, string key, string body)
    {
        using var client = app.Client();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var request = ImportRequest(key, body);
                using var response = await client.SendAsync(request);
                if (response.StatusCode == System.Net.HttpStatusCode.OK) return;
                if (clock.Elapsed > TimeSpan.FromMinutes(2))
                    throw new InvalidOperationException(
                        $"The import {key} still answers {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && clock.Elapsed < TimeSpan.FromMinutes(2)) { }
            await Task.Delay(200);
        }
    }

    private bool _clean = true;

    /// <summary>Every write acknowledged so far is in the store exactly once.</summary>
    private async Task CheckRound(string label)
    {
        var acknowledged = _acknowledged.ToArray();
        await using var db = NpgsqlDataSource.Create(connectionString);
        var found = await Found(db);
        var lost = acknowledged.Count(a => !found.TryGetValue(a.Key, out var ids) || !ids.Contains(a.Value));
        var duplicates = found.Count(f => f.Value.Count > 1);
        _clean &= lost == 0 && duplicates == 0;
        var line = $"{label}: acknowledged {acknowledged.Length}, " +
            $"found {found.Count(f => f.Key.StartsWith("crash-", StringComparison.Ordinal))}, lost = {lost}, duplicates = {duplicates}";
        _report.Add(line);
        Say(line);
    }

    private static async Task<Dictionary<string, List<string>>> Found(NpgsqlDataSource db)
    {
        var found = new Dictionary<string, List<string>>();
        await using var command = db.CreateCommand(
            $"select data->'content'->>'quote', stream_id from {Schema}.mt_events where type = 'position_stated'");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var token = reader.GetString(0);
            if (!found.TryGetValue(token, out var ids)) found[token] = ids = [];
            ids.Add(reader.GetString(1));
        }
        return found;
    }

    private async Task Write(int writer, Func<AppProcess> app, CancellationToken stop)
    {
        var clients = new Dictionary<AppProcess, HttpClient>();
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var node = app();
            if (!clients.TryGetValue(node, out var client)) clients[node] = client = node.Client();
            var token = $"crash-{writer}-{i}-{Guid.NewGuid():N}";
            _attempted.Add(token);
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/api/statements")
                {
                    Content = JsonContent.Create(new
                    {
                        party = "russia", issue = "ceasefire", stance = "supports", speaker = $"Writer {writer}", quote = token,
                        statedAt = "2025-03-13", source = new { outlet = "Crash test" },
                    }),
                };
                request.Headers.Add("Idempotency-Key", token);
                using var response = await client.SendAsync(request, stop);
                if ((int)response.StatusCode == 201)
                    _acknowledged[token] = (await response.Content.ReadFromJsonAsync<StatementAppended>(stop))!.Id;
                else
                    await Task.Delay(50, stop);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or OperationCanceledException)
            {
                if (!stop.IsCancellationRequested) await Task.Delay(50, CancellationToken.None);
            }
        }
    }

    private async Task<TimeSpan> FirstAcknowledgementAfter(int count, Stopwatch since)
    {
        while (_acknowledged.Count <= count && since.Elapsed < TimeSpan.FromMinutes(2)) await Task.Delay(20);
        return since.Elapsed;
    }

    private async Task<bool> Verify()
    {
        await using var db = NpgsqlDataSource.Create(connectionString);
        // Every statement of the crash test, by its token (the quote).
        var found = await Found(db);
        var lost = _acknowledged.Where(a => !found.TryGetValue(a.Key, out var ids) || !ids.Contains(a.Value)).ToList();
        var duplicates = found.Count(f => f.Value.Count > 1);
        var unacknowledgedFound = found.Keys.Count(t => t.StartsWith("crash-", StringComparison.Ordinal) && !_acknowledged.ContainsKey(t));
        // A statement stream with no event, or a stated event without its revision row, would be half-written.
        // Marten's own tombstone stream is not one: when a save fails before its events got sequence numbers,
        // Marten still establishes that stream, with no tombstone in it.
        var halfWritten = await Count(db,
            $"select count(*) from {Schema}.mt_streams s where s.id <> '{JasperFx.Events.Tombstone.StreamKey}' " +
            $"and not exists (select 1 from {Schema}.mt_events e where e.stream_id = s.id)") +
            await Count(db,
            $"select count(*) from {Schema}.mt_events e where e.type = 'position_stated' " +
            $"and not exists (select 1 from {Schema}.pl_statement_revisions r where r.statement_id::text = e.stream_id)");

        // Read models against a from-scratch rebuild.
        var revisions = "select statement_id, version, party, stance, statement_seq, recorded_from_seq, recorded_to_seq " +
            $"from {Schema}.pl_statement_revisions order by 1, 2";
        var activity = $"select * from {Schema}.{LedgerActivityProjection.TableName} order by day";
        await using var app = PositionLedgerApp.Build([$"--ConnectionStrings:PositionLedger={connectionString}",
            $"--PositionLedger:Schema={Schema}", "--Logging:LogLevel:Default=Warning"]);
        var store = app.Services.GetRequiredService<IDocumentStore>();
        using (var catchUp = await store.BuildProjectionDaemonAsync())
        {
            await catchUp.StartAllAsync();
            await store.WaitForNonStaleProjectionDataAsync(TimeSpan.FromMinutes(2));
            await catchUp.StopAllAsync();
        }
        var before = (await Rows(db, revisions), await Rows(db, activity));
        using (var daemon = await store.BuildProjectionDaemonAsync())
        {
            await daemon.RebuildProjectionAsync(PositionLedger.Revisions.Configuration.RevisionsProjection, TimeSpan.FromMinutes(5),
                CancellationToken.None);
            await daemon.RebuildProjectionAsync(LedgerActivityProjection.ProjectionName, TimeSpan.FromMinutes(5), CancellationToken.None);
        }
        var rebuilt = (await Rows(db, revisions), await Rows(db, activity)) == before;

        Console.WriteLine();
        foreach (var line in _report) Console.WriteLine(line);
        // The writers' statements only: the imports of round 3 have their own line above.
        var writersFound = found.Keys.Count(t => t.StartsWith("crash-", StringComparison.Ordinal));
        Console.WriteLine($"in all (the writers of rounds 1 and 2): attempted {_attempted.Count}, acknowledged {_acknowledged.Count}, " +
            $"found {writersFound} (of which unacknowledged but complete {unacknowledgedFound})");
        Console.WriteLine($"lost = {lost.Count}, duplicates = {duplicates}, half-written = {halfWritten}, " +
            $"read models equal a rebuild = {(rebuilt ? "yes" : "NO")}");
        return _clean && lost.Count == 0 && duplicates == 0 && halfWritten == 0 && rebuilt;
    }

    private static async Task<long> Count(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<string> Rows(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
            rows.Add(string.Join("|", Enumerable.Range(0, reader.FieldCount)
                .Select(i => Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
        return string.Join("\n", rows);
    }

    private static async Task Shell(string script, params string[] arguments)
    {
        var info = new ProcessStartInfo("bash", [Path.Combine(Repository.Root, script), .. arguments])
        {
            WorkingDirectory = Repository.Root,
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(info)!;
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{script} {string.Join(' ', arguments)} exited with {process.ExitCode}");
    }
}
