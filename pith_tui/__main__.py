from pith_tui.cli import main

raise SystemExit(main())
