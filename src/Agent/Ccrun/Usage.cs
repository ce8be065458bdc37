namespace ContainerConsole.Ccrun;

internal static class Usage
{
    public const string Text = """
        ccrun - ContainerConsole's OCI runtime (runc-compatible command line)

        usage: ccrun [--root DIR] [--log FILE] [--log-format text|json] COMMAND [OPTIONS] ID

        commands:
          create  --bundle DIR [--pid-file F] [--console-socket S] ID   create a container, waiting for start
          start   ID                                                      run the created container's process
          run     --bundle DIR [--pid-file F] [--detach] ID              create + start (+ wait and delete)
          state   ID                                                      print the OCI state JSON
          kill    [--all] ID [SIGNAL]                                     signal the container (default SIGTERM)
          delete  [--force] ID                                            remove a stopped container
          exec    [--process F | CMD...] [--tty] [--detach] [--env K=V] [--cwd D] [--user U[:G]] ID
          pause / resume ID                                               freeze / thaw every process
          update  [--resources F|-] [--memory N] [--pids-limit N] [--cpu-shares N] [--cpu-quota N] ID
          ps      ID                                                      pids in the container
          list    [--quiet] [--format table|json]
          spec    [--bundle DIR]                                          write a default config.json
        """;
}
