// Builds response bodies from applied txn results, including the per-op results of a multi.
using Coordinator.Core;
using Coordinator.Jute;
using Coordinator.Jute.Records;
using Coordinator.StateMachine;

namespace Coordinator.Server;

internal static class Responses
{
    public static IRecord? For(OpCode op, ProcessTxnResult r) => op switch
    {
        OpCode.Create => new CreateResponse(r.Path!),
        OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl => new Create2Response(r.Path!, r.Stat!.Value),
        OpCode.SetData or OpCode.SetAcl => new StatResponse(r.Stat!.Value),
        _ => null,
    };

    public static MultiResponse Multi(ProcessTxnResult r)
    {
        var results = new List<OpResult>(r.MultiResults!.Count);
        foreach (var sub in r.MultiResults)
        {
            var type = (OpCode)sub.Type;
            results.Add(type switch
            {
                OpCode.Error => new OpResult((int)OpCode.Error, (int)sub.Err, new ErrorResponse((int)sub.Err)),
                OpCode.Create => new OpResult((int)OpCode.Create, 0, new CreateResponse(sub.Path!)),
                OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl =>
                    new OpResult((int)OpCode.Create2, 0, new Create2Response(sub.Path!, sub.Stat!.Value)),
                OpCode.SetData => new OpResult((int)OpCode.SetData, 0, new StatResponse(sub.Stat!.Value)),
                _ => new OpResult(sub.Type, 0, null),
            });
        }
        return new MultiResponse(results);
    }

    /// <summary>ZooKeeper's four-character operation names, as cons prints them in lastOp.</summary>
    public static string ShortName(OpCode op) => op switch
    {
        OpCode.Create or OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl => "CREA",
        OpCode.Delete or OpCode.DeleteContainer => "DELE",
        OpCode.Exists => "EXIS",
        OpCode.GetData => "GETD",
        OpCode.SetData => "SETD",
        OpCode.GetAcl => "GETA",
        OpCode.SetAcl => "SETA",
        OpCode.GetChildren => "GETC",
        OpCode.GetChildren2 => "GETC",
        OpCode.Sync => "SYNC",
        OpCode.Ping => "PING",
        OpCode.Check => "CHEC",
        OpCode.Multi => "MULT",
        OpCode.MultiRead => "MLTR",
        OpCode.CloseSession => "CLOS",
        OpCode.AddWatch => "ADDW",
        OpCode.CheckWatches => "CHKW",
        OpCode.RemoveWatches => "REMW",
        OpCode.GetEphemerals => "GETE",
        OpCode.GetAllChildrenNumber => "GETACN",
        OpCode.WhoAmI => "HOMI",
        _ => "UNKN",
    };
}
