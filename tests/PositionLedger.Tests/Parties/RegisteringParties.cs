using System.Net;
using System.Net.Http.Json;
using PositionLedger.Issues;
using PositionLedger.Parties;
using PositionLedger.Tests.Infrastructure;

namespace PositionLedger.Tests.Parties;

public sealed class when_registering_parties_and_opening_issues(AppFixture app) : ApiTest(app)
{
    [Fact]
    public async Task a_registered_party_is_listed_and_found_at_its_location()
    {
        var response = await Client.PostAsJsonAsync("/api/parties", new { id = "russia", name = "Russia", aliases = new[] { "Moscow" } });

        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        response.Headers.Location!.ToString().ShouldBe("/api/parties/russia");
        (await Client.GetFromJsonAsync<Party>("/api/parties/russia"))
            .ShouldBe(new Party("russia", "Russia", ["Moscow"]), new PartyComparer());
        (await Client.GetFromJsonAsync<Party[]>("/api/parties"))!.Select(p => p.Id).ShouldBe(["russia"]);
    }

    [Fact]
    public async Task registering_an_id_twice_is_a_conflict_and_appends_nothing()
    {
        (await Client.PostAsJsonAsync("/api/parties", new { id = "us", name = "United States" })).EnsureSuccessStatusCode();
        var events = await App.EventCountAsync();

        await (await Client.PostAsJsonAsync("/api/parties", new { id = "us", name = "USA" })).ShouldBeProblemAsync(HttpStatusCode.Conflict);

        (await App.EventCountAsync()).ShouldBe(events);
    }

    [Fact]
    public async Task concurrent_registrations_of_one_id_give_one_party_and_conflicts_never_500s()
    {
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            Client.PostAsJsonAsync("/api/parties", new { id = "belarus", name = $"Belarus {i}" })));

        responses.Count(r => r.StatusCode == HttpStatusCode.Created).ShouldBe(1);
        responses.Count(r => r.StatusCode == HttpStatusCode.Conflict).ShouldBe(7);
        (await App.EventCountAsync()).ShouldBe(1);
    }

    [Theory]
    [InlineData("""{"id":"Not A Slug","name":"X"}""", "id")]
    [InlineData("""{"id":"ok","name":""}""", "name")]
    [InlineData("""{"id":"ok"}""", "name")]
    [InlineData("""{"id":"ok","name":"X","colour":"red"}""", "colour")]
    public async Task an_invalid_party_is_refused_naming_the_field(string body, string field)
    {
        await (await Client.PostJsonAsync("/api/parties", body)).ShouldNameFieldAsync(field);
        (await App.EventCountAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task an_opened_issue_is_listed_and_a_duplicate_is_a_conflict()
    {
        var response = await Client.PostAsJsonAsync("/api/issues",
            new { id = "kursk", title = "Kursk region", description = "Ukrainian forces in Kursk" });

        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        response.Headers.Location!.ToString().ShouldBe("/api/issues/kursk");
        (await Client.GetFromJsonAsync<Issue[]>("/api/issues")).ShouldBe([new Issue("kursk", "Kursk region", "Ukrainian forces in Kursk")]);
        await (await Client.PostAsJsonAsync("/api/issues", new { id = "kursk", title = "Again" }))
            .ShouldBeProblemAsync(HttpStatusCode.Conflict);
        await (await Client.PostJsonAsync("/api/issues", """{"id":"x","title":"bad\u0007bell"}""")).ShouldNameFieldAsync("title");
    }

    [Fact]
    public async Task an_unknown_party_is_not_found()
    {
        await (await Client.GetAsync("/api/parties/atlantis")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
        await (await Client.GetAsync("/api/parties/atlantis/stance")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    private sealed class PartyComparer : IEqualityComparer<Party>
    {
        public bool Equals(Party? x, Party? y) => x!.Id == y!.Id && x.Name == y.Name && x.Aliases.SequenceEqual(y.Aliases);
        public int GetHashCode(Party obj) => obj.Id.GetHashCode(StringComparison.Ordinal);
    }
}
