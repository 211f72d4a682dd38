// FsCheck properties: one-shot, persistent and recursive watches fire the same events as the reference watch model.
using Coordinator.StateMachine.Tests.Harness;
using FsCheck;
using FsCheck.Fluent;

namespace Coordinator.StateMachine.Tests;

public sealed class WatchPropertyTests
{
    private const int MaxTests = 300;

    /// <summary>Reads with watches and addWatch interleaved with writes; every op's drained events are compared per session.</summary>
    [Fact]
    public void Watch_events_agree_with_the_model_after_every_op() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(MaxTests),
            Prop.ForAll(Generators.Arbitrary(OpMix.Watches), (Scenario scenario) => new ScenarioRunner().Run(scenario.Ops)));
}
