from duely_invoicing.main import main

main()
