from tui_notifier.cli import main

raise SystemExit(main())
