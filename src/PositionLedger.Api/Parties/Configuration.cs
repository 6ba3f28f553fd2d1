using JasperFx.Events.Projections;
using Marten;

namespace PositionLedger.Parties;

public static class Configuration
{
    public static StoreOptions AddParties(this StoreOptions options)
    {
        options.Projections.Add(new PartyProjection(), ProjectionLifecycle.Inline);
        return options;
    }
}
