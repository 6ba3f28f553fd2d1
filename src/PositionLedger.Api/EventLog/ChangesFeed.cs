using System.ServiceModel.Syndication;
using System.Xml;
using JasperFx.Events;
using Marten;
using Marten.Events;
using PositionLedger.Infrastructure;
using PositionLedger.Statements;
using Wolverine.Http;

namespace PositionLedger.EventLog;

/// <summary>
/// The latest published changes as an Atom 1.0 feed (RFC 4287) for feed readers: new statements, corrections and
/// retractions, newest first, each linking to the page at the moment it describes (its statedAt, as the ledger knew
/// it right after the change).
/// </summary>
public static class ChangesFeedEndpoint
{
    public const int Entries = 50;
    public const string MediaType = "application/atom+xml; charset=utf-8";

    [WolverineGet("/api/feed.atom", OperationId = "getChangesFeed")]
    [Tags(ApiTags.Events)]
    [EndpointSummary("The latest changes as an Atom feed")]
    [EndpointDescription("An Atom 1.0 feed (RFC 4287) of the latest 50 new statements, corrections and retractions, newest "
        + "first; each entry links to the page at that moment (asOf its statedAt, knownAt the change's record time).")]
    [Microsoft.AspNetCore.Mvc.ProducesResponseType<string>(StatusCodes.Status200OK, "application/atom+xml")]
    public static async Task<IResult> Get(HttpRequest request, IQuerySession session, CancellationToken ct)
    {
        var changes = await session.Events.QueryAllRawEvents()
            .Where(e => e.EventTypesAre(typeof(PositionStated), typeof(StatementCorrected), typeof(StatementRetracted)))
            .OrderByDescending(e => e.Sequence)
            .Take(Entries)
            .ToListAsync(ct);
        var site = $"{request.Scheme}://{request.Host}";
        var feed = new SyndicationFeed(
            "PositionLedger: latest changes", "New statements, corrections and retractions, newest first.", new Uri($"{site}/"),
            "urn:positionledger:changes", changes.Count > 0 ? changes[0].Timestamp : DateTimeOffset.UnixEpoch);
        feed.Authors.Add(new SyndicationPerson { Name = "PositionLedger" });
        feed.Links.Add(new SyndicationLink(new Uri($"{site}/api/feed.atom"), "self", null, "application/atom+xml", 0));
        var items = new List<SyndicationItem>();
        foreach (var change in changes) items.Add(await EntryAsync(change, site, session, ct));
        feed.Items = items;

        var xml = new MemoryStream();
        var settings = new XmlWriterSettings { Async = true, Encoding = new System.Text.UTF8Encoding(false) };
        await using (var writer = XmlWriter.Create(xml, settings))
        {
            new Atom10FeedFormatter(feed).WriteTo(writer);
        }
        return TypedResults.Bytes(xml.ToArray(), MediaType);
    }

    private static async Task<SyndicationItem> EntryAsync(IEvent change, string site, IQuerySession session, CancellationToken ct)
    {
        var (title, content, summary) = change.Data switch
        {
            PositionStated s => (Headline(s.Content), s.Content, $"{s.Content.Speaker}: \u201c{s.Content.Quote}\u201d"),
            StatementCorrected c => ($"Corrected ({string.Join(", ", c.ChangedFields)}): {Headline(c.Corrected)}", c.Corrected,
                $"{c.Reason} \u2014 now: {c.Corrected.Speaker}: \u201c{c.Corrected.Quote}\u201d"),
            StatementRetracted r => await RetractionAsync(r, session, ct),
            _ => throw new InvalidOperationException($"Not a change of a statement: {change.EventTypeName}"),
        };
        var statement = change.StreamKey!;
        var moment = $"{site}/?asOf={Uri.EscapeDataString(Instants.Format(content.StatedAt, content.StatedOnDate))}"
            + $"&knownAt={Uri.EscapeDataString(Instants.Format(change.Timestamp, false))}";
        var item = new SyndicationItem(XmlText(title), XmlText(summary), new Uri(moment), $"urn:uuid:{change.Id}", change.Timestamp);
        item.Links.Add(
            new SyndicationLink(new Uri($"{site}/api/statements/{statement}"), "related", "The statement", "application/json", 0));
        if (!string.IsNullOrEmpty(change.UserName)) item.Authors.Add(new SyndicationPerson { Name = XmlText(change.UserName) });
        return item;
    }

    /// <summary>A retraction names only its statement: the headline is the content it had when retracted.</summary>
    private static async Task<(string, StatementContent, string)> RetractionAsync(
        StatementRetracted retraction, IQuerySession session, CancellationToken ct)
    {
        var events = await session.Events.FetchStreamAsync(retraction.StatementId.ToString(), token: ct);
        var last = events.Select(e => e.Data switch
        {
            PositionStated s => s.Content,
            StatementCorrected c => c.Corrected,
            _ => null,
        }).Last(c => c is not null)!;
        return ($"Retracted: {Headline(last)}", last, retraction.Reason);
    }

    /// <summary>The text without the characters XML cannot carry (U+FFFE, U+FFFF and the like, which statements may hold).</summary>
    private static string XmlText(string text)
    {
        if (text.All(XmlConvert.IsXmlChar)) return text;
        var kept = new System.Text.StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (XmlConvert.IsXmlChar(text[i])) kept.Append(text[i]);
            else if (i + 1 < text.Length && XmlConvert.IsXmlSurrogatePair(text[i + 1], text[i])) kept.Append(text, i++, 2);
        }
        return kept.ToString();
    }

    private static string Headline(StatementContent c) => c.ClaimedBy is { } claim
        ? $"{claim.Party} claims {c.Party} {c.Stance.Word()} on {c.Issue}"
        : $"{c.Party} {c.Stance.Word()} on {c.Issue}";
}
