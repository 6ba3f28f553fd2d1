using JasperFx.Events;
using Marten.Events.Projections;

namespace PositionLedger.Parties;

public sealed record PartyRegistered(string PartyId, string Name, string[] Aliases);

/// <summary>A party whose stance is tracked; the read model behind GET /api/parties.</summary>
public sealed record Party(string Id, string Name, string[] Aliases)
{
    /// <summary>Each party has its own stream, so registering an id twice collides on the stream key.</summary>
    public static string StreamKey(string partyId) => $"party:{partyId}";

    public static Party From(PartyRegistered e) => new(e.PartyId, e.Name, e.Aliases);
}

public sealed partial class PartyProjection : EventProjection
{
    public Party Create(PartyRegistered e) => Party.From(e);
}
