// FsCheck properties: random write sequences from three sessions give the same results, Stats and tree as the reference model.
using Coordinator.StateMachine.Tests.Harness;
using FsCheck;
using FsCheck.Fluent;

namespace Coordinator.StateMachine.Tests;

public sealed class TreePropertyTests
{
    /// <summary>Each test runs 50 to 200 ops and compares the whole tree after every one; 300 tests take about 5 seconds.</summary>
    private const int MaxTests = 300;

    [Fact]
    public void Random_op_sequences_agree_with_the_model_after_every_op() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(MaxTests),
            Prop.ForAll(Generators.Arbitrary(OpMix.Tree), (Scenario scenario) => new ScenarioRunner().Run(scenario.Ops)));
}
