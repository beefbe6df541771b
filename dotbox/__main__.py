from dotbox.cli.entry import main

main()
