using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.ServiceModel.Syndication;
using System.Xml;
using System.Xml.Linq;
using CsvHelper;
using PositionLedger.Stances;
using PositionLedger.Statements;
using PositionLedger.Tests.Infrastructure;

namespace PositionLedger.Tests.Stances;

/// <summary>The stance matrix as CSV and the latest changes as Atom, for tools that are not ours.</summary>
public sealed class when_the_ledger_is_exported_for_other_tools(AppFixture app) : ApiTest(app)
{
    private readonly Guid _putin = Guid.NewGuid();

    private async Task GivenAStoryWithAHostileQuote()
    {
        await App.GivenPartiesAndIssuesAsync(["russia", "ukraine"], ["ceasefire", "kursk"]);
        await App.GivenAsync(
            Scenario.Stated(_putin, "russia", "ceasefire", Stance.Conditional, "2025-03-13", speaker: "Vladimir Putin",
                quote: "We are for it, but \"there are nuances\", and\nmore."),
            Scenario.Stated(Guid.NewGuid(), "ukraine", "ceasefire", Stance.Accepts, "2025-03-11", speaker: "@Zelenskiy",
                quote: "=HYPERLINK(\"http://evil.example\",\"click\")"),
            Scenario.Claimed("ukraine", "russia", "kursk", Stance.Rejects, "2025-03-12"),
            Scenario.Stated(Guid.NewGuid(), "ukraine", "kursk", Stance.Rejects, "2025-03-12", quote: "-5 degrees and no truce."));
    }

    [Fact]
    public async Task the_csv_has_one_row_per_party_and_issue_of_the_json_matrix_and_no_formula_runs()
    {
        await GivenAStoryWithAHostileQuote();

        using var response = await Client.GetAsync("/api/stances.csv?asOf=2025-03-13");
        var text = await response.Content.ReadAsStringAsync();
        var matrix = await Client.GetFromJsonAsync<AllStances>("/api/stances?asOf=2025-03-13");

        response.StatusCode.ShouldBe(HttpStatusCode.OK, text);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/csv");
        response.Content.Headers.ContentType.CharSet.ShouldBe("utf-8");
        text.Split("\r\n")[0].ShouldBe("party,issue,stance,score,statedAt,speaker,quote,evidenceKind,openClaims");
        using var csv = new CsvReader(new StringReader(text), CultureInfo.InvariantCulture);
        var rows = csv.GetRecords<dynamic>().Cast<IDictionary<string, object>>().ToList();
        rows.Select(r => $"{r["party"]}/{r["issue"]}").ShouldBe(
            matrix!.Parties.SelectMany(p => p.Issues.Select(i => $"{p.Party}/{i.Issue}")));
        var putin = rows.Single(r => (string)r["party"] == "russia" && (string)r["issue"] == "ceasefire");
        putin["stance"].ShouldBe("conditional");
        putin["score"].ShouldBe("1");
        putin["quote"].ShouldBe("We are for it, but \"there are nuances\", and\nmore."); // quoted and doubled as RFC 4180 says
        var kursk = rows.Single(r => (string)r["party"] == "russia" && (string)r["issue"] == "kursk");
        kursk["stance"].ShouldBe("");
        kursk["openClaims"].ShouldBe("1");
        // A spreadsheet would run these as formulas: they are escaped with a leading apostrophe.
        var zelenskiy = rows.Single(r => (string)r["party"] == "ukraine" && (string)r["issue"] == "ceasefire");
        ((string)zelenskiy["quote"]).ShouldStartWith("'=");
        ((string)zelenskiy["speaker"]).ShouldStartWith("'@");
        var kyivOnKursk = rows.Single(r => (string)r["party"] == "ukraine" && (string)r["issue"] == "kursk");
        kyivOnKursk["score"].ShouldBe("-2"); // a number stays a number
        kyivOnKursk["quote"].ShouldBe("'-5 degrees and no truce.");
    }

    [Fact]
    public async Task the_atom_feed_lists_the_latest_changes_newest_first_each_linking_to_its_moment()
    {
        await GivenAStoryWithAHostileQuote();
        await App.GivenAsync(new StatementRetracted(_putin, "Recorded twice."));

        using var response = await Client.GetAsync("/api/feed.atom");
        var xml = await response.Content.ReadAsStringAsync();

        response.StatusCode.ShouldBe(HttpStatusCode.OK, xml);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/atom+xml");
        // Well-formed Atom 1.0: the namespace, and the elements RFC 4287 requires of a feed and of each entry.
        var document = XDocument.Parse(xml);
        XNamespace atom = "http://www.w3.org/2005/Atom";
        document.Root!.Name.ShouldBe(atom + "feed");
        foreach (var required in new[] { "id", "title", "updated", "author" })
            document.Root.Element(atom + required).ShouldNotBeNull(required);
        var entries = document.Root.Elements(atom + "entry").ToList();
        entries.Count.ShouldBe(5);
        foreach (var entry in entries)
        {
            foreach (var required in new[] { "id", "title", "updated", "link" }) entry.Element(atom + required).ShouldNotBeNull(required);
            DateTimeOffset.Parse(entry.Element(atom + "updated")!.Value, CultureInfo.InvariantCulture);
        }
        // And read by .NET's own Atom reader, as a feed reader would.
        using var reader = XmlReader.Create(new StringReader(xml));
        var feed = SyndicationFeed.Load(reader);
        var items = feed.Items.ToList();
        items[0].Title.Text.ShouldBe("Retracted: russia conditional on ceasefire");
        items[^1].Title.Text.ShouldBe("russia conditional on ceasefire");
        var moment = items[0].Links.Single(l => l.RelationshipType == "alternate").Uri;
        moment.Query.ShouldStartWith("?asOf=2025-03-13&knownAt=");
        items.Select(i => i.LastUpdatedTime).ShouldBeInOrder(SortDirection.Descending);
    }
}
