using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using PositionLedger.Tests.Infrastructure;

namespace PositionLedger.Tests.Reviews;

/// <summary>Review across the nodes of one deployment: they share nothing but the database.</summary>
public sealed class when_two_nodes_review_one_ledger(ReviewedApp app) : IClassFixture<ReviewedApp>, IAsyncLifetime
{
    private readonly AppFixture _second = AppFixture.SecondNodeOf(app);

    // A node of the same ledger with review off (an operator mid-way through turning it on): its corrections apply at once.
    private readonly AppFixture _unreviewed = AppFixture.OnSchemaOf(app);

    public async Task InitializeAsync()
    {
        await app.ResetAsync();
        await app.GivenPartiesAndIssuesAsync(["russia"], ["ceasefire"]);
        await _second.InitializeAsync();
        await _unreviewed.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _second.DisposeAsync();
        await _unreviewed.DisposeAsync();
    }

    private static async Task<(string Id, string Proposal)> ProposedAsync(HttpResponseMessage response)
    {
        var body = await response.ReadAsync<JsonObject>(HttpStatusCode.Accepted);
        return (body["id"]!.GetValue<string>(), body["proposal"]!.GetValue<string>());
    }

    private static Task<HttpResponseMessage> Approve(HttpClient verifier, string proposal) =>
        verifier.PostAsJsonAsync($"/api/reviews/{proposal}/approve", new { note = "Checked." });

    private static async Task<string?> CeasefireStance(HttpClient reader)
    {
        var stance = await reader.GetFromJsonAsync<JsonObject>("/api/parties/russia/stance?asOf=2025-03-31");
        return stance!["issues"]!.AsArray().SingleOrDefault()?["stance"]?.GetValue<string>();
    }

    [Fact]
    public async Task a_proposal_made_on_one_node_is_approved_on_the_other_and_both_publish_it()
    {
        var (id, proposal) = await ProposedAsync(await app.Client.PostAsJsonAsync("/api/statements", new
        {
            party = "russia", issue = "ceasefire", stance = "rejects", statedAt = "2025-03-13", speaker = "Dmitry Peskov",
            quote = "No ceasefire.", source = new { outlet = "TASS" },
        }));
        (await _second.Client.GetFromJsonAsync<JsonArray>("/api/reviews"))!.Single()!["proposal"]!.GetValue<string>().ShouldBe(proposal);
        (await CeasefireStance(_second.Reader)).ShouldBeNull();

        var approved = await Approve(_second.ClientWithKey(ReviewedApp.FirstVerifierKey), proposal);

        approved.StatusCode.ShouldBe(HttpStatusCode.OK, await approved.Content.ReadAsStringAsync());
        (await CeasefireStance(app.Reader)).ShouldBe("rejects");
        (await CeasefireStance(_second.Reader)).ShouldBe("rejects");
        var revision = (await app.Reader.GetFromJsonAsync<JsonObject>($"/api/statements/{id}"))!["revisions"]!.AsArray().Single()!;
        revision["proposedBy"]!.GetValue<string>().ShouldBe(AppFixture.EditorName);
        revision["recordedBy"]!.GetValue<string>().ShouldBe("verifier-a");
    }

    [Fact]
    public async Task an_approval_on_one_node_racing_a_correction_of_the_same_statement_on_another_lets_exactly_one_win()
    {
        var (id, first) = await ProposedAsync(await app.Client.PostAsJsonAsync("/api/statements", new
        {
            party = "russia", issue = "ceasefire", stance = "rejects", statedAt = "2025-03-13", speaker = "Dmitry Peskov",
            quote = "No ceasefire.", source = new { outlet = "TASS" },
        }));
        (await Approve(_second.ClientWithKey(ReviewedApp.FirstVerifierKey), first)).EnsureSuccessStatusCode();
        var verifier = _second.ClientWithKey(ReviewedApp.SecondVerifierKey);

        for (var version = 1; version <= 6; version++)
        {
            var (_, proposal) = await ProposedAsync(await app.Client.PostAsJsonAsync($"/api/statements/{id}/corrections",
                new { expectedVersion = version, reason = "Reviewed wording", quote = $"No ceasefire, as reviewed in round {version}." }));

            var raced = await Task.WhenAll(
                Approve(verifier, proposal),
                _unreviewed.Client.PostAsJsonAsync($"/api/statements/{id}/corrections",
                    new { expectedVersion = version, reason = "Direct fix", speaker = $"Speaker {version}" }));

            raced.Select(r => r.StatusCode).ShouldBe([HttpStatusCode.OK, HttpStatusCode.Conflict], ignoreOrder: true,
                string.Join(" | ", await Task.WhenAll(raced.Select(r => r.Content.ReadAsStringAsync()))));
            var statement = (await app.Reader.GetFromJsonAsync<JsonObject>($"/api/statements/{id}"))!;
            statement["version"]!.GetValue<long>().ShouldBe(version + 1);
            statement["revisions"]!.AsArray().Count.ShouldBe(version + 1);
            if (raced[0].StatusCode == HttpStatusCode.Conflict)
            {
                // The losing approval leaves its proposal pending: it can be rejected, or proposed again.
                (await app.Client.GetFromJsonAsync<JsonArray>("/api/reviews"))!.Single()!["proposal"]!.GetValue<string>()
                    .ShouldBe(proposal);
                (await verifier.PostAsJsonAsync($"/api/reviews/{proposal}/reject", new { reason = "Overtaken." })).EnsureSuccessStatusCode();
            }
        }
    }
}
