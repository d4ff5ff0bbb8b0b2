from duely_dunning.main import main

main()
