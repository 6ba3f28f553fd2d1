using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using PositionLedger.Tests.Infrastructure;

namespace PositionLedger.Tests.Reviews;

/// <summary>The ledger with Editorial:RequireReview on, an editor and two verifiers.</summary>
public sealed class ReviewedApp() : AppFixture([
    "--Editorial:RequireReview=true",
    $"--Auth:ApiKeys:2:Key={ReviewedApp.FirstVerifierKey}", "--Auth:ApiKeys:2:Name=verifier-a", "--Auth:ApiKeys:2:Role=verifier",
    $"--Auth:ApiKeys:3:Key={ReviewedApp.SecondVerifierKey}", "--Auth:ApiKeys:3:Name=verifier-b", "--Auth:ApiKeys:3:Role=verifier",
])
{
    public const string FirstVerifierKey = "test-verifier-key-a-0123456789abcdef0";
    public const string SecondVerifierKey = "test-verifier-key-b-0123456789abcdef0";
}

public sealed class when_statements_need_a_second_person(ReviewedApp app) : IClassFixture<ReviewedApp>, IAsyncLifetime
{
    private readonly HttpClient _verifier = app.ClientWithKey(ReviewedApp.FirstVerifierKey);
    private readonly HttpClient _secondVerifier = app.ClientWithKey(ReviewedApp.SecondVerifierKey);

    public async Task InitializeAsync()
    {
        await app.ResetAsync();
        await app.GivenPartiesAndIssuesAsync(["russia", "ukraine"], ["ceasefire", "kursk"]);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static object Statement(string quote, string stance = "rejects", string statedAt = "2025-03-13") => new
    {
        party = "russia", issue = "ceasefire", stance, statedAt, speaker = "Dmitry Peskov", quote, source = new { outlet = "TASS" },
    };

    private static async Task<(string Id, string Proposal)> ProposedAsync(HttpResponseMessage response)
    {
        response.StatusCode.ShouldBe(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        body["status"]!.GetValue<string>().ShouldBe("pending");
        return (body["id"]!.GetValue<string>(), body["proposal"]!.GetValue<string>());
    }

    private static Task<HttpResponseMessage> Approve(HttpClient verifier, string proposal, string? note = null) =>
        verifier.PostAsJsonAsync($"/api/reviews/{proposal}/approve", new { note });

    private async Task<string?> RussiasCeasefireStance(string query = "asOf=2025-03-31")
    {
        var stance = await app.Reader.GetFromJsonAsync<JsonObject>($"/api/parties/russia/stance?{query}");
        return stance!["issues"]!.AsArray().FirstOrDefault(i => i!["issue"]!.GetValue<string>() == "ceasefire")?["stance"]?.GetValue<string>();
    }

    [Fact]
    public async Task an_editors_statement_reaches_readers_only_once_a_verifier_approves_it_and_knownAt_before_the_approval_says_without_it()
    {
        var (id, proposal) = await ProposedAsync(await app.Client.PostAsJsonAsync("/api/statements", Statement("No ceasefire.")));

        (await RussiasCeasefireStance()).ShouldBeNull();
        (await app.Reader.GetAsync($"/api/statements/{id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var queue = await app.Client.GetFromJsonAsync<JsonArray>("/api/reviews");
        queue.ShouldNotBeNull();
        queue.Single()!["proposal"]!.GetValue<string>().ShouldBe(proposal);
        queue![0]!["after"]!["quote"]!.GetValue<string>().ShouldBe("No ceasefire.");
        queue[0]!["proposedBy"]!.GetValue<string>().ShouldBe(AppFixture.EditorName);
        (await app.Reader.GetAsync("/api/reviews")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        await Task.Delay(50);

        var approved = await Approve(_verifier, proposal, "Checked against the TASS wire.");

        approved.StatusCode.ShouldBe(HttpStatusCode.OK, await approved.Content.ReadAsStringAsync());
        (await RussiasCeasefireStance()).ShouldBe("rejects");
        var statement = (await app.Reader.GetFromJsonAsync<JsonObject>($"/api/statements/{id}"))!;
        var revision = statement["revisions"]!.AsArray().Single()!;
        revision["recordedBy"]!.GetValue<string>().ShouldBe("verifier-a");
        revision["proposedBy"]!.GetValue<string>().ShouldBe(AppFixture.EditorName);
        // Record time is approval time: a moment after the proposal but before the approval does not see it.
        var approvedAt = revision["recordedAt"]!.GetValue<DateTimeOffset>();
        (await RussiasCeasefireStance($"asOf=2025-03-31&knownAt={Uri.EscapeDataString(approvedAt.AddMilliseconds(-20).ToString("O"))}"))
            .ShouldBeNull();
        (await app.Client.GetFromJsonAsync<JsonArray>("/api/reviews?status=approved"))!.Single()!["note"]!.GetValue<string>()
            .ShouldBe("Checked against the TASS wire.");
    }

    [Fact]
    public async Task editors_and_verifiers_preview_every_pending_proposal_with_view_pending_and_the_preview_changes_nothing()
    {
        var (id, first) = await ProposedAsync(await app.Client.PostAsJsonAsync("/api/statements", Statement("No.")));
        (await Approve(_verifier, first)).EnsureSuccessStatusCode();
        await ProposedAsync(await app.Client.PostAsJsonAsync($"/api/statements/{id}/corrections",
            new { expectedVersion = 1, reason = "Softer", stance = "opposes" }));
        // Made against the same version: its approval would come second and be refused, so the preview leaves it out.
        await ProposedAsync(await app.Client.PostAsJsonAsync($"/api/statements/{id}/corrections",
            new { expectedVersion = 1, reason = "Misread", stance = "accepts" }));
        await ProposedAsync(await app.Client.PostAsJsonAsync("/api/statements", new
        {
            party = "russia", issue = "kursk", stance = "rejects", statedAt = "2025-03-12", speaker = "Vladimir Putin",
            quote = "Kursk first.", source = new { outlet = "Kremlin" },
        }));
        var events = await app.EventCountAsync();
        var beforePreview = DateTimeOffset.UtcNow;

        foreach (var previewer in new[] { app.Client, _verifier })
        {
            var preview = await previewer.GetAsync("/api/parties/russia/stance?asOf=2025-03-31&view=pending");

            var issues = (await preview.ReadAsync<JsonObject>())["issues"]!.AsArray();
            issues.Single(i => i!["issue"]!.GetValue<string>() == "ceasefire")!["stance"]!.GetValue<string>().ShouldBe("opposes");
            issues.Single(i => i!["issue"]!.GetValue<string>() == "kursk")!["stance"]!.GetValue<string>().ShouldBe("rejects");
            preview.Headers.CacheControl!.NoStore.ShouldBeTrue();
        }
        var timeline = await app.Client.GetFromJsonAsync<JsonObject>("/api/timeline?view=pending&party=russia");
        timeline!["items"]!.AsArray().Select(i => i!["quote"]!.GetValue<string>()).ShouldBe(["Kursk first.", "No."]);
        (await app.Client.GetAsync("/api/parties/russia/claims-made?view=pending")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await app.Client.GetAsync("/api/issues/kursk/convergence?view=pending&from=2025-03-01&to=2025-03-31"))
            .StatusCode.ShouldBe(HttpStatusCode.OK);

        // A knownAt before now sees no approval, so no preview; readers see what is published.
        (await RussiasCeasefireStance()).ShouldBe("rejects");
        var earlier = Uri.EscapeDataString(beforePreview.ToString("O"));
        var past = await app.Client.GetFromJsonAsync<JsonObject>($"/api/parties/russia/stance?asOf=2025-03-31&knownAt={earlier}&view=pending");
        past!["issues"]!.AsArray().Select(i => i!["stance"]!.GetValue<string>()).ShouldBe(["rejects"]);
        (await app.EventCountAsync()).ShouldBe(events);
        (await app.Client.GetFromJsonAsync<JsonArray>("/api/reviews"))!.Count.ShouldBe(3);
    }

    [Fact]
    public async Task a_preview_is_refused_to_readers_and_anonymous_callers_and_an_unknown_view_names_the_field()
    {
        await ProposedAsync(await app.Client.PostAsJsonAsync("/api/statements", Statement("Not yet.")));

        var forReader = await (await app.Reader.GetAsync("/api/stances?view=pending")).ShouldBeProblemAsync(HttpStatusCode.Forbidden);
        forReader["errors"]!["view"].ShouldNotBeNull();
        var anonymous = await app.Anonymous.GetAsync("/api/parties/russia/stance?view=pending");
        await anonymous.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        anonymous.Headers.WwwAuthenticate.ShouldNotBeEmpty();
        await (await app.Client.GetAsync("/api/stances?view=draft")).ShouldNameFieldAsync("view");
        (await app.Reader.GetAsync("/api/stances?view=published")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task a_proposal_is_decided_once_and_by_a_verifier_other_than_its_author()
    {
        var (_, proposal) = await ProposedAsync(await _verifier.PostAsJsonAsync("/api/statements", Statement("Not now.")));

        await (await Approve(_verifier, proposal)).ShouldBeProblemAsync(HttpStatusCode.Forbidden);
        await (await Approve(app.Client, proposal)).ShouldBeProblemAsync(HttpStatusCode.Forbidden);
        (await Approve(_secondVerifier, proposal)).StatusCode.ShouldBe(HttpStatusCode.OK);
        await (await Approve(_secondVerifier, proposal)).ShouldBeProblemAsync(HttpStatusCode.Conflict);
        await (await _secondVerifier.PostAsJsonAsync($"/api/reviews/{proposal}/reject", new { reason = "Too late." }))
            .ShouldBeProblemAsync(HttpStatusCode.Conflict);
        await (await Approve(_secondVerifier, Guid.NewGuid().ToString())).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task a_rejected_proposal_never_reaches_the_ledger_and_keeps_its_reason()
    {
        var (id, proposal) = await ProposedAsync(await app.Client.PostAsJsonAsync("/api/statements", Statement("Perhaps.")));

        var rejected = await _verifier.PostAsJsonAsync($"/api/reviews/{proposal}/reject", new { reason = "The reporter's words." });

        rejected.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await RussiasCeasefireStance()).ShouldBeNull();
        (await app.Reader.GetAsync($"/api/statements/{id}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var listed = (await app.Client.GetFromJsonAsync<JsonArray>("/api/reviews?status=rejected"))!.Single()!;
        listed["note"]!.GetValue<string>().ShouldBe("The reporter's words.");
        listed["decidedBy"]!.GetValue<string>().ShouldBe("verifier-a");
        await (await Approve(_secondVerifier, proposal)).ShouldBeProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task of_two_corrections_proposed_against_one_version_approved_at_once_exactly_one_wins()
    {
        var (id, first) = await ProposedAsync(await app.Client.PostAsJsonAsync("/api/statements", Statement("No.")));
        (await Approve(_verifier, first)).EnsureSuccessStatusCode();
        var (_, a) = await ProposedAsync(await app.Client.PostAsJsonAsync($"/api/statements/{id}/corrections",
            new { expectedVersion = 1, reason = "Softer", stance = "opposes" }));
        var (_, b) = await ProposedAsync(await app.Client.PostAsJsonAsync($"/api/statements/{id}/retraction",
            new { expectedVersion = 1, reason = "Misattributed" }));

        var decisions = await Task.WhenAll(Approve(_verifier, a), Approve(_secondVerifier, b));

        decisions.Select(d => d.StatusCode).ShouldBe([HttpStatusCode.OK, HttpStatusCode.Conflict], ignoreOrder: true);
        var statement = (await app.Reader.GetFromJsonAsync<JsonObject>($"/api/statements/{id}"))!;
        statement["version"]!.GetValue<long>().ShouldBe(2);
        // The loser is still pending: it can be rejected, or proposed again against version 2.
        (await app.Client.GetFromJsonAsync<JsonArray>("/api/reviews"))!.Count.ShouldBe(1);
    }

    [Fact]
    public async Task an_import_under_review_proposes_every_statement_and_appends_none()
    {
        var lines = string.Join('\n', Enumerable.Range(0, 3).Select(i =>
            System.Text.Json.JsonSerializer.Serialize(Statement($"Line {i}.", statedAt: $"2025-03-1{i}"))));

        var before = await app.EventCountAsync();

        var response = await app.Client.PostAsync("/api/imports", new StringContent(lines, System.Text.Encoding.UTF8, "application/x-ndjson"));

        response.StatusCode.ShouldBe(HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        (await app.Client.GetFromJsonAsync<JsonArray>("/api/reviews"))!.Count.ShouldBe(3);
        (await RussiasCeasefireStance()).ShouldBeNull();
        (await app.EventCountAsync()).ShouldBe(before + 3, "three proposals, no statement");
    }

    [Fact]
    public async Task readers_and_anonymous_callers_see_nothing_pending_or_rejected_on_any_route()
    {
        const string Marker = "Zwischenstand";
        var (pendingId, pending) = await ProposedAsync(await app.Client.PostAsJsonAsync("/api/statements", Statement($"{Marker} pending.")));
        var (rejectedId, rejected) = await ProposedAsync(await app.Client.PostAsJsonAsync("/api/statements", Statement($"{Marker} rejected.")));
        (await _verifier.PostAsJsonAsync($"/api/reviews/{rejected}/reject", new { reason = "No." })).EnsureSuccessStatusCode();
        var query = new Dictionary<string, string>
        {
            ["/api/parties/{party}/changes"] = "?from=2025-01-01&to=2026-12-31",
            ["/api/search"] = $"?q={Marker}",
            ["/api/timeline"] = "?limit=500",
            ["/api/events"] = "?limit=1000",
        };
        var reads = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods.Contains("GET") == true)
            .Select(e => "/" + e.RoutePattern.RawText!.TrimStart('/'))
            .Where(route => route.StartsWith("/api/", StringComparison.Ordinal) && route != "/api/events/live")
            .ToList();
        reads.Count.ShouldBeGreaterThanOrEqualTo(20);

        foreach (var caller in new[] { app.Reader, app.Anonymous })
        {
            foreach (var route in reads)
            {
                var url = route.Replace("{id}", pendingId, StringComparison.Ordinal).Replace("{party}", "russia", StringComparison.Ordinal)
                    .Replace("{issue}", "ceasefire", StringComparison.Ordinal).Replace("{proposal}", pending, StringComparison.Ordinal)
                    + query.GetValueOrDefault(route, "");
                // Asking for the preview changes nothing for them: it is refused, or the route has none.
                foreach (var asked in new[] { url, url + (url.Contains('?') ? "&" : "?") + "view=pending" })
                {
                    var response = await caller.GetAsync(asked);
                    var body = await response.Content.ReadAsStringAsync();
                    body.ShouldNotContain(Marker, Case.Insensitive, asked);
                    // A refusal may repeat the id it was asked for; an answer must not know it.
                    if (response.IsSuccessStatusCode) body.ShouldNotContain(pendingId, Case.Insensitive, asked);
                    body.ShouldNotContain(rejectedId, Case.Insensitive, asked);
                }
            }
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            var live = await caller.GetAsync("/api/events/live?after=0", HttpCompletionOption.ResponseHeadersRead);
            var text = new System.Text.StringBuilder();
            try
            {
                using var reader = new StreamReader(await live.Content.ReadAsStreamAsync());
                while (await reader.ReadLineAsync(cancel.Token) is { } line) text.AppendLine(line);
            }
            catch (OperationCanceledException)
            {
                // A second of the live feed read.
            }
            text.ToString().ShouldContain("event: ready");
            text.ToString().ShouldNotContain(Marker);
        }
    }
}
