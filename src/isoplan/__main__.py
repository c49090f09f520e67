from isoplan.cli import main

raise SystemExit(main())
