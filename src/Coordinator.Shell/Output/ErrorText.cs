// Server errors in zkCli's words ("Node does not exist: /app1"), so scripts that grep zkCli's output keep working.
using Coordinator.Client;
using Coordinator.Core;

namespace Coordinator.Shell.Output;

internal static class ErrorText
{
    public static string For(KeeperException e) => e.Code switch
    {
        ErrorCode.NoNode => "Node does not exist: " + e.Path,
        ErrorCode.NodeExists => "Node already exists: " + e.Path,
        ErrorCode.NoChildrenForEphemerals => "Ephemerals cannot have children: " + e.Path,
        ErrorCode.NotEmpty => "Node not empty: " + e.Path,
        ErrorCode.BadVersion => "version No is not valid : " + e.Path,
        ErrorCode.NoAuth => "Insufficient permission : " + e.Path,
        ErrorCode.BadArguments => "Arguments are not valid : " + e.Path,
        ErrorCode.InvalidAcl => "Acl is not valid : " + e.Path,
        ErrorCode.QuotaExceeded => "Quota has exceeded : " + e.Path,
        ErrorCode.NotReadOnly => "Not a read-only call: " + e.Path,
        _ => e.Message,
    };

    public static string CodeName(ErrorCode code) => code.ToString();
}
